#!/usr/bin/env bash
# Run the service locally on embedded defaults: the web app (gunicorn, 127.0.0.1:8000),
# the scheduler as its own process, and the local fake WeChat API (127.0.0.1:18080) that
# receives the pushes. Talk to it with the simulator (printed below). Ctrl-C stops all.
source "$(dirname "$0")/_env.sh" requirements.txt
PORT="${PORT:-8000}"
FAKE_PORT="${FAKE_PORT:-18080}"
export BAOBEI_WECHAT__API_BASE_URL="${BAOBEI_WECHAT__API_BASE_URL:-http://127.0.0.1:$FAKE_PORT}"
mkdir -p .run
flask --app bot db upgrade

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ "$BAOBEI_WECHAT__API_BASE_URL" = "http://127.0.0.1:$FAKE_PORT" ]; then
  python -m bot.fakeapi --port "$FAKE_PORT" > .run/fakeapi.out 2> .run/fakeapi.log &
  pids+=($!)
fi
flask --app bot scheduler run 2> .run/scheduler.log &
pids+=($!)

cat >&2 <<MSG

  渠道报备 is starting on http://127.0.0.1:$PORT/wechat
  In another terminal, play an agent and a manager (no WeChat account needed):
    .venv/bin/flask --app bot simulate --demo --url http://127.0.0.1:$PORT/wechat --fake-url http://127.0.0.1:$FAKE_PORT
  then type, for example:  报备 DEMO 张三 13812345678 本地 明天 15:00
  Logs: .run/scheduler.log, .run/fakeapi.log. Ctrl-C stops everything.

MSG
# the access log without the query string: WeChat's signature and nonce stay out of it
gunicorn --bind "127.0.0.1:$PORT" --workers 1 --threads 8 --worker-class gthread \
  --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s' \
  "bot:create_app()" &
pids+=($!)
wait -n "${pids[@]}"
