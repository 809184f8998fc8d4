#!/usr/bin/env bash
# Re-resolve the pinned versions in requirements/lock.txt.
#
#   bash scripts/lock.sh             resolve pyproject.toml's ranges (with the `test` extra)
#                                    to the newest versions the registry holds
#   bash scripts/lock.sh --upgrade-package prefect
#                                    move one package, keep the rest
#
# scripts/run.sh and scripts/test.sh install with `-c requirements/lock.txt`, so a fresh
# machine gets exactly the versions CI tested. After re-locking, run `bash scripts/test.sh`
# (it reinstalls when the lock is newer than the venv) and commit the lock with the result.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS="${PHANCONG_LOCK_TOOLS:-$ROOT/.venv-lock}"
if [[ ! -x "$TOOLS/bin/uv" ]]; then
    echo "==> installing the resolver (uv) into $TOOLS" >&2
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --disable-pip-version-check -q uv </dev/null
fi
args=(--extra test --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
      --no-header --annotation-style line -o requirements/lock.txt)
if [[ $# -eq 0 ]]; then
    args+=(--upgrade)
fi
"$TOOLS/bin/uv" pip compile pyproject.toml "${args[@]}" "$@"
echo "==> requirements/lock.txt: $(grep -c '==' requirements/lock.txt) pinned packages" >&2
