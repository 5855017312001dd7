#!/usr/bin/env bash
# Creates .venv on Python 3.13 with requirements-dev.txt and quiz_core (editable), and
# skips the install when none of its inputs changed since the last successful one.
#
#   tools/bootstrap.sh                 create or update .venv
#   tools/bootstrap.sh --print-python  print the Python 3.13 interpreter found, or fail
#
# Python is looked for in this order: $DEVSTACK_PYTHON, python3.13 on PATH, pyenv's
# versions folder ($PYENV_ROOT or ~/.pyenv).
set -euo pipefail

readonly WANTED_PYTHON="3.13"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly VENV="$ROOT/.venv"
readonly STAMP="$VENV/.devstack-requirements.sha256"
readonly PIP_LOG="$ROOT/.stack/logs/pip-venv.log"
readonly PYENV_DIR="${PYENV_ROOT:-${HOME:-}/.pyenv}"
readonly STARTED_AT="${DEVSTACK_STARTED_AT:-$(date +%s.%N)}"

say() {
  local elapsed
  elapsed="$(awk -v now="$(date +%s.%N)" -v t0="$STARTED_AT" 'BEGIN { printf "%6.1f", now - t0 }')"
  printf '[%ss] %-10s %s\n' "$elapsed" "$1" "$2"
}

fail() {
  printf 'bootstrap: error: %s\n' "$1" >&2
  exit 1
}

# Prints the real path of the interpreter if "$1" runs and is Python 3.13.
real_python_313() {
  "$1" -c '
import sys
if sys.version_info[:2] != (3, 13):
    sys.exit(1)
print(sys.executable)' 2>/dev/null
}

find_python() {
  local candidate pyenv_bins
  if [[ -n "${DEVSTACK_PYTHON:-}" ]]; then
    real_python_313 "$DEVSTACK_PYTHON" \
      || fail "DEVSTACK_PYTHON=$DEVSTACK_PYTHON is not a Python $WANTED_PYTHON interpreter."
    return
  fi
  if real_python_313 "python$WANTED_PYTHON"; then
    return
  fi
  mapfile -t pyenv_bins < <(printf '%s\n' "$PYENV_DIR"/versions/"$WANTED_PYTHON"*/bin | sort -V -r)
  for candidate in "${pyenv_bins[@]}"; do
    if real_python_313 "$candidate/python$WANTED_PYTHON"; then
      return
    fi
  done
  fail "Python $WANTED_PYTHON not found (the Lambda runtime is python$WANTED_PYTHON).
  Tried: \$DEVSTACK_PYTHON, python$WANTED_PYTHON on PATH, $PYENV_DIR/versions/$WANTED_PYTHON*.
  Get it with 'pyenv install $WANTED_PYTHON' or your system's python$WANTED_PYTHON package
  (e.g. 'apt-get install python$WANTED_PYTHON python$WANTED_PYTHON-venv' where it is packaged),
  or point DEVSTACK_PYTHON at an interpreter."
}

# Files whose content decides what .venv holds: the requirements (and what they include)
# and pyproject.toml, which defines the editable quiz_core package.
requirement_inputs() {
  local file="$ROOT/requirements-dev.txt" included
  printf '%s\n' "$file" "$ROOT/pyproject.toml"
  while read -r included; do
    printf '%s\n' "$(dirname "$file")/$included"
  done < <(sed -n 's/^[[:space:]]*-r[[:space:]]*//p' "$file")
}

inputs_hash() {
  local python="$1"
  {
    printf 'python %s\n' "$python"
    requirement_inputs | xargs sha256sum
  } | sha256sum | cut -d' ' -f1
}

venv_is_current() {
  local wanted_hash="$1"
  [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$wanted_hash" ]] \
    && real_python_313 "$VENV/bin/python" >/dev/null
}

install_venv() {
  local python="$1"
  mkdir -p "$(dirname "$PIP_LOG")"
  rm -f "$STAMP"
  if [[ -x "$VENV/bin/python" ]] && ! real_python_313 "$VENV/bin/python" >/dev/null; then
    say venv "existing .venv is not on Python $WANTED_PYTHON; recreating it"
    rm -rf "$VENV"
  fi
  [[ -x "$VENV/bin/python" ]] || "$python" -m venv "$VENV"
  say venv "installing requirements-dev.txt and quiz_core (log: ${PIP_LOG#"$ROOT"/}) ..."
  if ! (cd "$ROOT" && "$VENV/bin/python" -m pip install --quiet \
    -r requirements-dev.txt -e .) >"$PIP_LOG" 2>&1; then
    tail -n 30 "$PIP_LOG" >&2
    fail "pip install into .venv failed; full log in $PIP_LOG"
  fi
}

main() {
  local python wanted_hash
  python="$(find_python)"
  if [[ "${1:-}" == "--print-python" ]]; then
    printf '%s\n' "$python"
    return
  fi

  wanted_hash="$(inputs_hash "$python")"
  if venv_is_current "$wanted_hash"; then
    say venv "up to date (requirements unchanged)"
    return
  fi

  say python "using $python"
  install_venv "$python"
  printf '%s\n' "$wanted_hash" >"$STAMP"
  say venv "ready: $("$VENV/bin/python" --version) in .venv"
}

main "$@"
