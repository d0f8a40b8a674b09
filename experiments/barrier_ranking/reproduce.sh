#!/usr/bin/env bash
# Reproduce the barrier_ranking study: every sweep into results/barrier_ranking/<experiment>/, then
# `coprod analyze` on each (when the command exists; analysis.html in every sweep folder), then
# this study's own figures, drawn with plotly on one self-contained page
# (results/barrier_ranking/figures.html), and numbers (experiments/barrier_ranking/summary.md).
# About 6 minutes of sweeps on 2 cores (3,512 runs, most of 4,000 citizens), plus about 15 s of analysis.
# Run from anywhere; paths are relative to the repository root.
#   WORKERS=N   worker processes (default 2)
#   FRESH=1     delete this study's earlier results first (otherwise an earlier, complete or
#               interrupted sweep of the same experiment is resumed: nothing is run twice)
set -euo pipefail
STUDY=barrier_ranking
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
COPROD="${COPROD:-$ROOT/.venv/bin/coprod}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORKERS="${WORKERS:-2}"
EXPERIMENTS=(
  br_noise br_noise_citizens br_morris br_sobol_all br_sobol_top
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
