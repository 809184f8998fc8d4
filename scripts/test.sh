#!/usr/bin/env bash
# THE test command: bash scripts/test.sh [pytest args...]
#
# On a fresh Debian 12 machine it installs what the suite needs (Debian's
# PostgreSQL, Chromium, LibreOffice and poppler-utils, a venv at .venv with the `test` extra), starts a
# throw-away PostgreSQL cluster, then runs ruff, mypy and pytest, failing on the
# first failure. A second run does no apt or pip work.
#
#   SKIP_LINT=1             skip ruff and mypy (quick local runs)
#   PHANCONG_NO_POSTGRES=1  do not start PostgreSQL (postgres tests then skip,
#                           or fail when CI=true)
#
# pytest writes JUnit XML to test-output/junit.xml; pytest's exit status is
# the script's (5, "no tests collected", counts as a failure).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }
t_start=$SECONDS

# --- Debian packages ----------------------------------------------------------
apt_updated=0
apt_install() {
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "error: missing Debian packages ($*) and not root: apt-get install $*" >&2
        exit 1
    fi
    if [[ "$apt_updated" -eq 0 ]]; then
        step "apt-get update"
        apt-get update -q </dev/null
        apt_updated=1
    fi
    step "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null
}

pg_server_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true
}

missing=()
if [[ "${PHANCONG_NO_POSTGRES:-}" != "1" ]]; then
    bin="$(pg_server_bin)"
    if [[ -z "$bin" || ! -x "$bin/initdb" || ! -x "$bin/pg_ctl" ]]; then
        missing+=(postgresql)
    fi
fi
if ! command -v chromium >/dev/null 2>&1; then
    missing+=(chromium)
fi
if ! command -v soffice >/dev/null 2>&1; then
    missing+=(libreoffice-writer-nogui libreoffice-calc-nogui)  # DOCX/XLSX -> PDF checks
fi
if ! command -v pdftoppm >/dev/null 2>&1; then
    missing+=(poppler-utils)  # PDF -> PNG for looking at reports
fi
if ! dpkg -s fonts-dejavu-core >/dev/null 2>&1; then
    missing+=(fonts-dejavu-core)  # readable Vietnamese text in browser screenshots
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
else
    echo "==> Debian packages present (postgresql, chromium, libreoffice, poppler-utils)"
fi

# --- virtualenv ---------------------------------------------------------------
VENV="$ROOT/.venv"
STAMP="$VENV/.phancong-installed-test"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    step "python3 -m venv .venv ($(python3 --version))"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
fi
if [[ -f "$STAMP" && "$STAMP" -nt pyproject.toml && "$STAMP" -nt requirements/lock.txt ]]; then
    echo "==> .venv up to date (stamp newer than pyproject.toml and requirements/lock.txt)"
else
    step "pip install -c requirements/lock.txt -e '.[test]'"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        -c requirements/lock.txt -e '.[test]' </dev/null
    touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"

# --- environment for the tests ------------------------------------------------
OUT="$ROOT/test-output"
rm -rf "$OUT"
mkdir -p "$OUT/prefect-home" "$OUT/data"
export PHANCONG_TEST_OUTPUT="$OUT"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_HOME="$OUT/prefect-home"
export PHANCONG_DATA_DIR="$OUT/data"

# --- PostgreSQL ---------------------------------------------------------------
PG_DIR=""
cleanup() {
    local rc=$?
    if [[ -n "$PG_DIR" ]]; then
        bash "$ROOT/scripts/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
        PG_DIR=""
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "${PHANCONG_NO_POSTGRES:-}" == "1" ]]; then
    echo "==> PHANCONG_NO_POSTGRES=1: not starting PostgreSQL"
    unset PHANCONG_TEST_POSTGRES_URL
else
    step "starting throw-away PostgreSQL (scripts/pg.sh)"
    PG_DIR="$(mktemp -d /tmp/phancong-pg.XXXXXX)"
    pg_out="$(bash "$ROOT/scripts/pg.sh" start "$PG_DIR")" || {
        echo "error: scripts/pg.sh start failed" >&2
        exit 1
    }
    read -r PG_PORT PG_USER <<<"$pg_out"
    export PHANCONG_TEST_POSTGRES_URL="postgresql+psycopg://${PG_USER}@127.0.0.1:${PG_PORT}/phancong_test"
    echo "PHANCONG_TEST_POSTGRES_URL=$PHANCONG_TEST_POSTGRES_URL"
fi

# --- lint / types -------------------------------------------------------------
if [[ "${SKIP_LINT:-}" == "1" ]]; then
    echo "==> SKIP_LINT=1: skipping ruff and mypy"
else
    step "ruff check ."
    ruff check .
    step "mypy"
    mypy
fi

# --- tests --------------------------------------------------------------------
step "pytest $*"
rc=0
pytest --junitxml="$OUT/junit.xml" "$@" || rc=$?
case "$rc" in
    0) echo "==> tests passed ($((SECONDS - t_start)) s in all)" ;;
    5) echo "==> error: pytest collected no tests (exit 5): the suite is broken" >&2 ;;
    *) echo "==> pytest failed with exit status $rc" >&2 ;;
esac
exit "$rc"
