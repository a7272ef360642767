#!/usr/bin/env bash
# `make setup`: uv, Python 3.11 and 3.10, and the two virtual environments.
#
# Idempotent and fast when nothing changed: each venv keeps the sha256 of its inputs in
# <venv>/.inputs.sha256 and is touched only when they changed; `make distclean` starts over.
#   .venv       Python 3.11, `uv pip install -e '.[dev]'`      inputs: pyproject.toml
#   .venv-rasa  Python 3.10, `uv pip install -r bot/requirements.txt`  inputs: that file
# Rasa 3.6 needs Python 3.10 and pins SQLAlchemy < 1.5, so it cannot share our environment.
#
# Interpreters can be forced with PYTHON311=/path/python3.11 and PYTHON310=/path/python3.10.
set -euo pipefail

cd "$(dirname "$0")/../.."
UV_VERSION="${UV_VERSION:-0.13.9}"
TOOLS_VENV=.venv-tools

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Prints "3.11" for an interpreter that runs; fails for a pyenv shim with no version selected.
python_minor() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

# ---- uv -------------------------------------------------------------------------------------
find_uv() {
  if command -v uv >/dev/null 2>&1; then
    command -v uv
  elif [ -x "$TOOLS_VENV/bin/uv" ]; then
    echo "$TOOLS_VENV/bin/uv"
  else
    return 1
  fi
}

if ! UV=$(find_uv); then
  say "bootstrapping uv $UV_VERSION into $TOOLS_VENV"
  bootstrap=""
  for candidate in python3 python3.12 python3.11 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_minor "$candidate" >/dev/null; then
      bootstrap=$candidate
      break
    fi
  done
  [ -n "$bootstrap" ] || die "no working python3 to bootstrap uv with; install uv (https://docs.astral.sh/uv/)"
  rm -rf "$TOOLS_VENV"
  "$bootstrap" -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  UV="$TOOLS_VENV/bin/uv"
fi

# ---- interpreters ---------------------------------------------------------------------------
# Order: $PYTHON3xx; a uv-managed interpreter; pyenv's installs (highest patch); pyenv which with
# the version pinned (the bare shim fails when pyenv has not activated it); the system one;
# finally `uv python install`. `uv python find` without only-managed would return the shim.
find_python() {
  local minor=$1 forced=$2 candidate root version
  if [ -n "$forced" ]; then
    [ "$(python_minor "$forced")" = "$minor" ] || die "$forced is not a working Python $minor"
    echo "$forced"
    return
  fi
  candidate=$("$UV" python find --python-preference only-managed "$minor" 2>/dev/null || true)
  if [ -n "$candidate" ] && [ "$(python_minor "$candidate")" = "$minor" ]; then
    echo "$candidate"
    return
  fi
  if command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null); then
    for candidate in $(ls -d "$root/versions/$minor".* 2>/dev/null | sort -V -r); do
      if [ "$(python_minor "$candidate/bin/python$minor")" = "$minor" ]; then
        echo "$candidate/bin/python$minor"
        return
      fi
    done
    for version in $(ls "$root/versions" 2>/dev/null | grep -E "^$minor\.[0-9]+$" | sort -V -r); do
      candidate=$(PYENV_VERSION=$version pyenv which "python$minor" 2>/dev/null || true)
      if [ -n "$candidate" ] && [ "$(python_minor "$candidate")" = "$minor" ]; then
        echo "$candidate"
        return
      fi
    done
  fi
  for candidate in "/usr/bin/python$minor" "/usr/local/bin/python$minor"; do
    if [ "$(python_minor "$candidate")" = "$minor" ]; then
      echo "$candidate"
      return
    fi
  done
  say "no Python $minor on this machine: installing one with 'uv python install $minor'" >&2
  "$UV" python install "$minor" >&2
  candidate=$("$UV" python find --python-preference only-managed "$minor")
  [ "$(python_minor "$candidate")" = "$minor" ] || die "uv python install $minor did not give a working Python"
  echo "$candidate"
}

# ---- virtual environments -------------------------------------------------------------------
# venv_current <venv> <minor> <hash>: true when the venv runs the right Python and was built
# from these exact inputs.
venv_current() {
  [ -f "$1/.inputs.sha256" ] && [ "$(cat "$1/.inputs.sha256")" = "$3" ] \
    && [ "$(python_minor "$1/bin/python")" = "$2" ]
}

# build_venv <venv> <minor> <hash> <description> <uv pip install args...>
# A venv with the right Python is updated in place (uv resolves a no-op in a second), so a venv
# someone is using is not pulled from under them; a missing or broken one is created first.
build_venv() {
  local venv=$1 minor=$2 hash=$3 description=$4 python forced started
  shift 4
  started=$(date +%s)
  if [ "$(python_minor "$venv/bin/python")" = "$minor" ]; then
    say "updating $venv (Python $minor, $description)..."
  else
    forced=$([ "$minor" = 3.10 ] && echo "${PYTHON310:-}" || echo "${PYTHON311:-}")
    python=$(find_python "$minor" "$forced")
    say "building $venv (Python $minor from $python, $description)..."
    rm -rf "$venv"
    "$UV" venv --quiet --python "$python" "$venv"
  fi
  "$UV" pip install --quiet --python "$venv/bin/python" "$@"
  echo "$hash" >"$venv/.inputs.sha256"
  say "$venv ready in $(($(date +%s) - started))s"
}

[ -f bot/requirements.txt ] || die "bot/requirements.txt is missing (the Rasa environment is built from it)"

app_hash=$(inputs_hash pyproject.toml)
rasa_hash=$(inputs_hash bot/requirements.txt)
rasa_pin=$(grep -Eo '^rasa==[^ ;]+' bot/requirements.txt | head -n1 || true)

if venv_current .venv 3.11 "$app_hash"; then
  say ".venv is up to date"
else
  build_venv .venv 3.11 "$app_hash" "pyproject.toml with [dev]" -e '.[dev]'
fi

if venv_current .venv-rasa 3.10 "$rasa_hash"; then
  say ".venv-rasa is up to date"
else
  build_venv .venv-rasa 3.10 "$rasa_hash" "${rasa_pin:-bot/requirements.txt}" -r bot/requirements.txt
fi
