#!/usr/bin/env bash
# Reproduces the study: 00_data_prep, each architecture notebook once per loss, 90_comparison,
# executed by papermill into results/<profile>/notebooks/, with tables in
# results/<profile>/tables/ and figures in figures/<profile>/. Finished runs are skipped.
#
#   ./run_all.sh [--profile smoke|quick|paper] [--only ARCH[,ARCH]] [--loss LOSS[,LOSS]] [--force]
#                [--report-only] [--results-root DIR] [--figures-root DIR] [--data-home DIR]
#
# Without --profile: paper where the Keras backend sees a GPU, else quick (it says which and why).
# Relative folders are relative to the folder you run it from, as for python -m facerecon.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")"
source scripts/ensure_env.sh
cd "$caller"
FACERECON_PROG=./run_all.sh exec python -m facerecon run "$@"
