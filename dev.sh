#!/usr/bin/env bash
# Set up everything atsnb needs in ./.venv, then run the demo or the tests.
#   ./dev.sh demo   — build the simulated company (first time only) and open the dashboards
#   ./dev.sh test   — run the whole test suite (real MariaDB, real SMTP, real Chromium)
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "dev.sh: please run as root or install: $*" >&2; return 1; fi; }

apt_install() {  # apt_install PACKAGE... — only what is missing
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

setup_venv() {
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv 2>/dev/null || { apt_install python3-venv; rm -rf .venv; "$PY" -m venv .venv; }
  fi
  local stamp=.venv/.atsnb-installed want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "dev.sh: installing atsnb and its dependencies into .venv (first time takes a minute)"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[dev]"
    echo "$want" > "$stamp"
  fi
}

case "${1:-}" in
  demo)
    setup_venv
    command -v ffmpeg >/dev/null 2>&1 || apt_install ffmpeg  # plays GSM (wav49) call recordings
    shift
    exec .venv/bin/atsnb demo "$@"
    ;;
  test)
    setup_venv
    command -v chromium >/dev/null 2>&1 || apt_install chromium
    command -v ffmpeg >/dev/null 2>&1 || apt_install ffmpeg
    if ! .venv/bin/python -c "import pymysql; pymysql.connect(host='127.0.0.1', user='root', password='', connect_timeout=3)" 2>/dev/null \
       && [ -z "${ATSNB_TEST_MYSQL:-}" ] && ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
      apt_install mariadb-server
    fi
    shift
    .venv/bin/ruff check atsnb tests benchmarks
    set +e
    .venv/bin/python -m pytest -q "$@"
    rc=$?
    [ $rc -eq 5 ] && { echo "dev.sh: no tests were collected" >&2; exit 1; }
    exit $rc
    ;;
  *)
    echo "usage: ./dev.sh demo | test [pytest arguments]" >&2
    exit 2
    ;;
esac
