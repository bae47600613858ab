# Shared set-up for scripts/run.sh and scripts/test.sh: a Python 3.11+ virtualenv with the
# pinned requirements, installed once and refreshed when a requirements file changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha"
want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing $* into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $(printf -- '-r %s ' "$@") >&2
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
