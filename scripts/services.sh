# Make sure PostgreSQL and Redis answer on loopback for the tests. Use the ones already
# running on 127.0.0.1 (:5432, :6379); otherwise install Debian's packages if missing and
# start private ones under .run/ (trust auth, loopback only, nothing kept after the run).
set -euo pipefail
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    echo "need $* but not root: install them or start PostgreSQL/Redis yourself" >&2
    exit 1
  fi
  if [ ! -f "$RUN_DIR/.apt-updated" ]; then
    apt-get update -qq >&2 && touch "$RUN_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_answers() { pg_isready -q -h 127.0.0.1 -p "$1" 2>/dev/null; }

ensure_postgres() {
  command -v pg_isready >/dev/null || apt_install postgresql postgresql-client
  if [ -z "${FORCE_PRIVATE_SERVICES:-}" ] && pg_answers 5432 && psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    export TEST_PG_URL="${TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432}"
    return
  fi
  local bin port=55432 data="/tmp/baobei-test-pg"
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  if [ ! -d "$data" ]; then
    mkdir -p "$data" && chown postgres "$data"
    runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  if ! pg_answers "$port"; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $port -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off" start >&2
  fi
  export TEST_PG_URL="postgresql://postgres@127.0.0.1:$port"
  echo "using a private PostgreSQL on 127.0.0.1:$port" >&2
}

ensure_redis() {
  command -v redis-cli >/dev/null || apt_install redis-server
  if [ -z "${FORCE_PRIVATE_SERVICES:-}" ] && \
     [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; then
    export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/13}"
    return
  fi
  local port=56379
  if [ "$(redis-cli -h 127.0.0.1 -p $port ping 2>/dev/null)" != "PONG" ]; then
    redis-server --daemonize yes --bind 127.0.0.1 --port $port --save "" --appendonly no \
      --dir "$RUN_DIR" --logfile "$RUN_DIR/redis.log" >&2
    for _ in $(seq 50); do
      [ "$(redis-cli -h 127.0.0.1 -p $port ping 2>/dev/null)" = "PONG" ] && break
      sleep 0.1
    done
  fi
  export TEST_REDIS_URL="redis://127.0.0.1:$port/13"
  echo "using a private Redis on 127.0.0.1:$port" >&2
}
