#!/usr/bin/env bash
# Throw-away PostgreSQL cluster for the test suite.
#
#   bash scripts/pg.sh start DIR   # initdb in DIR, start on a free 127.0.0.1 port,
#                                  # create database phancong_test, print "PORT USER"
#   bash scripts/pg.sh stop DIR    # stop it (immediate) and remove DIR
#
# Only "PORT USER" goes to stdout; progress goes to stderr. Auth is trust on
# loopback, fsync is off: never use this for data you want to keep.
# As root the server runs as the `postgres` user (created by Debian's package) or,
# failing that, as a system user `phancong-pg` created on demand.
set -euo pipefail

log() { echo "pg.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

pg_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
    else
        die "PostgreSQL server binaries not found (apt-get install postgresql)"
    fi
}

# The OS user that owns and runs the cluster; also the database superuser name.
pg_user() {
    if [[ "$(id -u)" -ne 0 ]]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        if ! id phancong-pg >/dev/null 2>&1; then
            log "creating system user phancong-pg"
            useradd --system --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin phancong-pg >&2
        fi
        echo phancong-pg
    fi
}

# Run a command as the cluster's user (directly when we are that user already).
as_user() {
    local user="$1"
    shift
    if [[ "$(id -un)" == "$user" ]]; then
        "$@"
    else
        runuser -u "$user" -- "$@"
    fi
}

free_port() {
    python3 - <<'EOF'
import socket

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
EOF
}

cmd_start() {
    local dir="$1" bin user port attempt
    bin="$(pg_bindir)"
    user="$(pg_user)"
    if [[ -e "$dir" && -n "$(ls -A "$dir" 2>/dev/null)" ]]; then
        die "$dir exists and is not empty"
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd -P)"
    mkdir -p "$dir/run"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown -R "$user:" "$dir"
    fi
    chmod 700 "$dir"
    # The server user must be able to reach DIR through its parents.
    as_user "$user" test -w "$dir" \
        || die "user $user cannot write $dir (choose a DIR under /tmp)"

    log "initdb in $dir/data as $user ($bin)"
    as_user "$user" "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust \
        --encoding=UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    for attempt in 1 2 3; do
        port="$(free_port)"
        as_user "$user" tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# --- scripts/pg.sh (attempt $attempt) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
EOF
        log "starting on 127.0.0.1:$port"
        if as_user "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
            -w -t 60 start >&2; then
            break
        fi
        log "start failed on port $port (attempt $attempt); server log:"
        tail -n 20 "$dir/server.log" >&2 || true
        if [[ "$attempt" -eq 3 ]]; then
            die "could not start PostgreSQL"
        fi
    done

    "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" phancong_test >&2 \
        || die "createdb phancong_test failed"
    log "ready: postgresql://$user@127.0.0.1:$port/phancong_test"
    echo "$port $user"
}

cmd_stop() {
    local dir="$1" bin user
    if [[ ! -d "$dir" ]]; then
        log "$dir does not exist; nothing to stop"
        return 0
    fi
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        bin="$(pg_bindir)"
        user="$(stat -c %U "$dir/data")"
        log "stopping cluster in $dir"
        as_user "$user" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 \
            || log "pg_ctl stop failed (already stopped?)"
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; cmd_start "$2" ;;
    stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
    *) die "usage: $0 {start|stop} DIR" ;;
esac
