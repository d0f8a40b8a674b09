#!/usr/bin/env bash
# Set up (or refresh) the project's virtualenv in .venv with a Python >= 3.12.
# Used by scripts/start and .ci/run; safe to run again (it reinstalls only when
# pyproject.toml changed). Usage: scripts/setup.sh [extras], e.g. scripts/setup.sh test
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"

find_python() {
  local candidates=(python3.13 python3.12 python3)
  local c
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  # pyenv installs (the machine's default python3 is 3.11; pyenv has 3.12 and 3.13)
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    if [ -x "$c" ] && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  py="$(find_python)" || {
    echo "setup: no Python >= 3.12 found (tried python3.13, python3.12, python3 and pyenv)." >&2
    echo "setup: install one, e.g. 'pyenv install 3.12', and run this again." >&2
    exit 2
  }
  echo "setup: creating .venv with $py ($("$py" --version))"
  rm -rf .venv
  "$py" -m venv .venv
fi

spec="."
[ -n "$extras" ] && spec=".[$extras]"
# One stamp per extras set and pyproject.toml; a pyproject change clears them all. The test
# extras add to the base install, so `scripts/start` (no extras) after `.ci/run` (test) reuses
# it, and alternating the two never reinstalls (they once deleted each other's stamp).
hash="$(sha256sum pyproject.toml | cut -c1-16)"
stamp=".venv/.installed-$hash-${extras:-base}"
installed() {
  [ -f "$stamp" ] && return 0
  [ -z "$extras" ] && compgen -G ".venv/.installed-$hash-*" >/dev/null
}
if ! installed; then
  echo "setup: installing coprod-sim $spec into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "$spec"
  for old in .venv/.installed-*; do
    case "$old" in .venv/.installed-"$hash"-*) ;; *) rm -f "$old" ;; esac
  done
  touch "$stamp"
fi
