#!/usr/bin/env bash
# The two commands of the README:  ./ticebot.sh demo   and   ./ticebot.sh test
# Creates .venv on first use (only Python 3.11 is needed) and reinstalls when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")"

python_bin() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then echo "$candidate"; return; fi
  done
  echo "ticebot: Python 3.11 introuvable (installez python3.11)" >&2; exit 2
}

install() {  # $1: extras spec ("" or "[test]")
  if [ ! -x .venv/bin/python ]; then "$(python_bin)" -m venv .venv; fi
  local stamp=".venv/.ticebot-installed$1"
  local want; want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$1"
    echo "$want" > "$stamp"
  fi
}

PG_DATA=""
PG_BIN=""
PG_AS=()

ensure_postgres() {
  # The persistence suite runs on PostgreSQL too. If nothing listens on 5432 but the server is installed
  # (Debian layout), start a throwaway cluster for this run; stop_postgres removes it afterwards.
  if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then return; fi
  local initdb; initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ]; then echo "ticebot: PostgreSQL absent (tests PostgreSQL ignorés hors CI)" >&2; return; fi
  PG_BIN=$(dirname "$initdb")
  PG_DATA=$(mktemp -d /tmp/ticebot-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DATA"; PG_AS=(runuser -u postgres --); fi
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres >/dev/null
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -o "-c fsync=off -c listen_addresses=127.0.0.1 -p 5432 -k /tmp" \
    -l "$PG_DATA/log" -w start >/dev/null
  "${PG_AS[@]}" "$PG_BIN/psql" -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
  echo "ticebot: cluster PostgreSQL temporaire démarré dans $PG_DATA" >&2
}

stop_postgres() {
  [ -n "$PG_DATA" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$PG_DATA"
}

command="${1:-demo}"
shift || true
case "$command" in
  demo)
    install ""
    exec .venv/bin/ticebot demo "$@"
    ;;
  test)
    install "[test]"
    ensure_postgres
    status=0
    .venv/bin/ruff check . && .venv/bin/python -m pytest "$@" || status=$?
    stop_postgres
    exit "$status"
    ;;
  *)
    install ""
    exec .venv/bin/ticebot "$command" "$@"
    ;;
esac
