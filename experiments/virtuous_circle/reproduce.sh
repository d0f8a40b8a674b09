#!/usr/bin/env bash
# Reproduce the virtuous_circle study: every sweep into results/virtuous_circle/<experiment>/, then
# `coprod analyze` on each (when the command exists; analysis.html in every sweep folder), then
# this study's own figures, drawn with plotly on one self-contained page
# (results/virtuous_circle/figures.html), and numbers (experiments/virtuous_circle/summary.md).
# About 4 minutes of sweeps on 2 cores (852 runs), plus about 30 s of analysis and figures.
# Run from anywhere; paths are relative to the repository root.
#   WORKERS=N   worker processes (default 2)
#   FRESH=1     delete this study's earlier results first (otherwise an earlier, complete or
#               interrupted sweep of the same experiment is resumed: nothing is run twice)
set -euo pipefail
STUDY=virtuous_circle
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
COPROD="${COPROD:-$ROOT/.venv/bin/coprod}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORKERS="${WORKERS:-2}"
EXPERIMENTS=(
  vc_map vc_map_rich vc_map_reluctant vc_supply vc_loop_gain vc_replicates
  vc_history_up vc_history_down vc_history_none
  vc_hysteresis_time_fast vc_hysteresis_time_fast_control
  vc_hysteresis_time_slow vc_hysteresis_time_slow_control
  vc_hysteresis_feedback_fast vc_hysteresis_feedback_fast_control
  vc_hysteresis_feedback_slow vc_hysteresis_feedback_slow_control
)
mkdir -p "results/$STUDY"
start=$SECONDS
for ex in "${EXPERIMENTS[@]}"; do
  out="results/$STUDY/$ex"
  if [[ "${FRESH:-0}" == 1 ]]; then rm -rf "$out"; fi
  if [[ -f "$out/manifest.json" ]]; then
    "$COPROD" sweep "experiments/$STUDY/$ex.toml" --out "$out" --workers "$WORKERS" --resume
  else
    "$COPROD" sweep "experiments/$STUDY/$ex.toml" --out "$out" --workers "$WORKERS"
  fi
done
echo "sweeps of $STUDY: $((SECONDS - start)) s"
if "$COPROD" analyze --help >/dev/null 2>&1; then
  for ex in "${EXPERIMENTS[@]}"; do "$COPROD" analyze "results/$STUDY/$ex" || echo "analyze failed on $ex"; done
else
  echo "coprod analyze is not available in this version: skipping analysis.html"
fi
"$PYTHON" "experiments/$STUDY/figures.py" "results/$STUDY" "experiments/$STUDY"
echo "$STUDY done in $((SECONDS - start)) s"
