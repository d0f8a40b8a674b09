#!/usr/bin/env bash
# Reproduce the four studies one after the other (about 12 minutes of sweeps on 2 cores).
# Each study can also be run alone: bash experiments/<study>/reproduce.sh
# WORKERS and FRESH are passed on (see any study's reproduce.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for study in virtuous_circle resilience_chain barrier_ranking dark_side; do
  bash "$HERE/$study/reproduce.sh"
done
