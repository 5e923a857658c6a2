# shellcheck shell=bash
# Sourced by scripts/demo and scripts/test: make a working environment from nothing.
# - Debian packages: Python's venv module, Pango and HarfBuzz-Subset for WeasyPrint (without
#   the latter it warns on every font and subsets fonts slowly), fonts and, for the tests
#   (TRIALPRESS_WITH_BROWSER=1), Chromium, poppler-utils and git; installed with apt-get
#   when running as root and missing, otherwise named so the user can install them.
# - A virtual environment in .venv (unless one is already active) with trialpress and its
#   test dependencies installed in editable mode; reinstalled when pyproject.toml changes.
# pip keeps its download cache (~/.cache/pip), so a fresh .venv installs quickly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { echo "$*" >&2; }

PYTHON="${PYTHON:-python3}"
want_debs=("libpango-1.0-0" "libpangoft2-1.0-0" "libharfbuzz-subset0")
want_debs+=("fonts-dejavu-core" "fonts-wqy-microhei")
if [ -z "${VIRTUAL_ENV:-}" ]; then
  want_debs+=("python3" "python3-venv")
fi
if [ "${TRIALPRESS_WITH_BROWSER:-0}" = "1" ]; then
  want_debs+=("chromium" "poppler-utils" "git")
fi

need_debs=()
if command -v dpkg-query >/dev/null 2>&1; then
  for deb in "${want_debs[@]}"; do
    # Python from elsewhere (pyenv, python.org) needs no Debian python3 packages.
    case "$deb" in
      python3) command -v "$PYTHON" >/dev/null 2>&1 && continue ;;
      python3-venv) "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" \
      || need_debs+=("$deb")
  done
fi
if [ "${#need_debs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian packages: ${need_debs[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      "${need_debs[@]}" >&2
  else
    say "Please install these Debian packages first: sudo apt-get install ${need_debs[*]}"
    exit 1
  fi
fi

if [ -z "${VIRTUAL_ENV:-}" ]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "trialpress needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1 || echo missing)."
    say "Set PYTHON=/path/to/python3.11 or activate a virtual environment first."
    exit 1
  fi
  # A .venv left half-made by an interrupted run (no working pip) is made again.
  if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    say "Creating virtual environment in .venv"
    "$PYTHON" -m venv --clear .venv
    rm -f .venv/.trialpress-installed
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
fi
stamp="$VIRTUAL_ENV/.trialpress-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] \
  || [ "$(cat "$stamp" 2>/dev/null)" != "$ROOT" ]; then
  say "Installing trialpress and its dependencies into $VIRTUAL_ENV"
  python -m pip install -q --disable-pip-version-check -e ".[test]" >&2
  echo "$ROOT" >"$stamp"
fi
