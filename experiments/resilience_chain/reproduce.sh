#!/usr/bin/env bash
# Reproduce the resilience_chain study: every sweep into results/resilience_chain/<experiment>/, then
# `coprod analyze` on each (when the command exists; analysis.html in every sweep folder), then
# this study's own figures, drawn with plotly on one self-contained page
# (results/resilience_chain/figures.html), and numbers (experiments/resilience_chain/summary.md).
# About 30 s of sweeps on 2 cores (288 runs), plus a few seconds of analysis.
# Run from anywhere; paths are relative to the repository root.
#   WORKERS=N, FRESH=1: see experiments/_reproduce.sh, which does the work.
set -euo pipefail
STUDY=resilience_chain
EXPERIMENTS=(
  rc_grid rc_grid_control rc_grid_strong_commissioner
)
source "$(dirname "${BASH_SOURCE[0]}")/../_reproduce.sh"
