#!/usr/bin/env bash
# The whole test suite against real PostgreSQL and Redis, on both database backends.
# Usage: ./scripts/test.sh [pytest args]   (e.g. -m unit, -k filing, -x)
source "$(dirname "$0")/_env.sh" requirements-dev.txt
source "$ROOT/scripts/services.sh"
ensure_postgres
ensure_redis
echo "PostgreSQL: $TEST_PG_URL  Redis: $TEST_REDIS_URL" >&2
ruff check bot handlers models scheduler tests bench
# the pure modules strictly (they decide rulings), the rest for what mypy can see
mypy --strict models/policy models/requests.py models/names.py models/privacy.py handlers/commands.py handlers/grammar.py handlers/deal_grammar.py handlers/claim_grammar.py handlers/fields.py handlers/filing_grammar.py handlers/violation_grammar.py handlers/timeparse.py
mypy --ignore-missing-imports bot handlers models scheduler
# the layer contract in pyproject.toml: bot -> handlers -> models, the scheduler apart
lint-imports --no-cache --no-logo
exec python -m pytest "$@"
