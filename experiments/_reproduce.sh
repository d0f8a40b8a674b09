# The shared body of every experiments/<study>/reproduce.sh, which sets STUDY and EXPERIMENTS
# and sources this file: every sweep into results/$STUDY/<experiment>/, then `coprod analyze` on
# each (when the command exists), then experiments/$STUDY/figures.py. Paths are relative to the
# repository root.
#   WORKERS=N   worker processes (default 2)
#   FRESH=1     delete this study's earlier results first (otherwise an earlier, complete or
#               interrupted sweep of the same experiment is resumed: nothing is run twice)
#   COPROD, PYTHON  the coprod command and the python to use (default: the repository's .venv)
set -euo pipefail
: "${STUDY:?set STUDY before sourcing _reproduce.sh}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COPROD="${COPROD:-$ROOT/.venv/bin/coprod}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORKERS="${WORKERS:-2}"
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
