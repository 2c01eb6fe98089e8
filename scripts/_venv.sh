# Sourced by the other scripts: make .venv with photogate installed (extras in $1, e.g. "dev,postgres").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "photogate needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$PY" -m venv .venv
fi
extras=${1:-}
stamp=".venv/.photogate-installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "==> installing photogate${extras:+[$extras]} into .venv (first run takes a minute)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet --progress-bar off -e ".${extras:+[$extras]}"
    touch "$stamp"
fi
