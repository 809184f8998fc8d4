#!/usr/bin/env bash
# THE main-job command: bash scripts/run.sh [args for `phancong up`...]
# Creates/reuses the venv at .venv (pip install -e . pinned by requirements/lock.txt,
# skipped when a stamp file is newer than pyproject.toml and the lock), then runs `phancong up`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
STAMP_RUN="$VENV/.phancong-installed-run"
STAMP_TEST="$VENV/.phancong-installed-test"  # written by scripts/test.sh (a superset)
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "==> python3 -m venv .venv ($(python3 --version))" >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
fresh() { [[ -f "$1" && "$1" -nt pyproject.toml && "$1" -nt requirements/lock.txt ]]; }
if fresh "$STAMP_RUN" || fresh "$STAMP_TEST"; then
    :
else
    echo "==> pip install -c requirements/lock.txt -e . (the versions CI tested)" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        -c requirements/lock.txt -e . </dev/null >&2
    touch "$STAMP_RUN"
fi
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
exec "$VENV/bin/phancong" up "$@"
