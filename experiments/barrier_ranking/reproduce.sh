#!/usr/bin/env bash
# Reproduce the barrier_ranking study: every sweep into results/barrier_ranking/<experiment>/, then
# `coprod analyze` on each (when the command exists; analysis.html in every sweep folder), then
# this study's own figures, drawn with plotly on one self-contained page
# (results/barrier_ranking/figures.html), and numbers (experiments/barrier_ranking/summary.md).
# About 6 minutes of sweeps on 2 cores (3,512 runs, most of 4,000 citizens), plus about 15 s of analysis.
# Run from anywhere; paths are relative to the repository root.
#   WORKERS=N, FRESH=1: see experiments/_reproduce.sh, which does the work.
set -euo pipefail
STUDY=barrier_ranking
EXPERIMENTS=(
  br_noise br_noise_citizens br_morris br_sobol_all br_sobol_top
)
source "$(dirname "${BASH_SOURCE[0]}")/../_reproduce.sh"
