# Sourced by scripts/demo and scripts/test: make a working environment from nothing.
# - Debian packages WeasyPrint needs (Pango) and Chromium for browser tests, installed with
#   apt-get when running as root and missing; otherwise named so the user can install them.
# - A virtual environment in .venv (unless one is already active) with trialpress and its
#   test dependencies installed in editable mode.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

need_debs=()
want_debs=("libpango-1.0-0" "libpangoft2-1.0-0" "fonts-dejavu-core" "fonts-wqy-microhei")
if [ "${TRIALPRESS_WITH_BROWSER:-0}" = "1" ]; then
  want_debs+=("chromium" "poppler-utils")
fi
if command -v dpkg-query >/dev/null 2>&1; then
  for deb in "${want_debs[@]}"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || need_debs+=("$deb")
  done
fi
if [ "${#need_debs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${need_debs[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_debs[@]}" >&2
  else
    echo "Please install these Debian packages first: sudo apt-get install ${need_debs[*]}" >&2
    exit 1
  fi
fi

if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ ! -x .venv/bin/python ]; then
    echo "Creating virtual environment in .venv" >&2
    python3 -m venv .venv
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
fi
stamp=".venv/.trialpress-installed"
[ -n "${VIRTUAL_ENV:-}" ] && stamp="$VIRTUAL_ENV/.trialpress-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing trialpress and its dependencies" >&2
  python -m pip install -q --disable-pip-version-check -e ".[test]" >&2
  touch "$stamp"
fi
