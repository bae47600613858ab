#!/usr/bin/env bash
# Webhook benchmark, all of it: worker-model comparison, then (a)-(d) interleaved, verified.
#   bench/run.sh                          # defaults: 3 repetitions x 10 s, 16 and 64 connections
#   bench/run.sh --smoke                  # about a minute: is everything wired? (no WeRoBot)
#   bench/run.sh --reps 5 --seconds 20    # any option of: bench/run.sh --help
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379.
# Results: bench/results/<YYYY-MM-DD>/summary.md and results.json (raw/ is git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

if ! command -v wrk >/dev/null; then
    echo "wrk missing: installing Debian's package" >&2
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
case " $* " in
    *" --smoke "*) ;;  # the smoke run leaves (c) out: no benchmark-only packages needed
    *) $PY -c "import werobot" 2>/dev/null || .venv/bin/pip install -q -r bench/requirements.txt ;;
esac
exec $PY -m bench.webhook "$@"
