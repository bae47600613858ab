#!/usr/bin/env bash
# Profile one (d) filing worker under wrk load with py-spy (root needed), print top functions,
# then count PostgreSQL statements and Redis commands per filing.
#   bench/profile.sh [--model sync:2] [--seconds 15] [--connections 16] [--native] [--idle]
# Output also goes to bench/results/<YYYY-MM-DD>/profile.md and roundtrips.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
[ -x .venv/bin/py-spy ] || .venv/bin/pip install -q -r bench/requirements.txt
$PY -m bench.profile "$@"
$PY -m bench.roundtrips
