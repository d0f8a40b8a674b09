#!/usr/bin/env bash
# Reproduce the virtuous_circle study: every sweep into results/virtuous_circle/<experiment>/, then
# `coprod analyze` on each (when the command exists; analysis.html in every sweep folder), then
# this study's own figures, drawn with plotly on one self-contained page
# (results/virtuous_circle/figures.html), and numbers (experiments/virtuous_circle/summary.md).
# About 4 minutes of sweeps on 2 cores (852 runs), plus about 30 s of analysis and figures.
# Run from anywhere; paths are relative to the repository root.
#   WORKERS=N, FRESH=1: see experiments/_reproduce.sh, which does the work.
set -euo pipefail
STUDY=virtuous_circle
EXPERIMENTS=(
  vc_map vc_map_rich vc_map_reluctant vc_supply vc_loop_gain vc_replicates
  vc_history_up vc_history_down vc_history_none
  vc_hysteresis_time_fast vc_hysteresis_time_fast_control
  vc_hysteresis_time_slow vc_hysteresis_time_slow_control
  vc_hysteresis_feedback_fast vc_hysteresis_feedback_fast_control
  vc_hysteresis_feedback_slow vc_hysteresis_feedback_slow_control
)
source "$(dirname "${BASH_SOURCE[0]}")/../_reproduce.sh"
