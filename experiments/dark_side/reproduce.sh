#!/usr/bin/env bash
# Reproduce the dark_side study: every sweep into results/dark_side/<experiment>/, then
# `coprod analyze` on each (when the command exists; analysis.html in every sweep folder), then
# this study's own figures, drawn with plotly on one self-contained page
# (results/dark_side/figures.html), and numbers (experiments/dark_side/summary.md).
# About 30 s of sweeps on 2 cores (188 runs of 4,000 citizens), plus a few seconds of analysis.
# Run from anywhere; paths are relative to the repository root.
#   WORKERS=N, FRESH=1: see experiments/_reproduce.sh, which does the work.
set -euo pipefail
STUDY=dark_side
EXPERIMENTS=(
  ds_digital_austerity ds_austerity_preset ds_burnout
)
source "$(dirname "${BASH_SOURCE[0]}")/../_reproduce.sh"
