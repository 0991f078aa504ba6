# Sourced by scripts/run and scripts/test: make .venv with Python >= 3.11 and install the project.
# Reinstalls only when pyproject.toml changed (a stamp file in .venv records its hash).

find_python() {
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "需要 Python 3.11 或更高版本 (Python >= 3.11 is required)" >&2
  return 1
}

ensure_venv() {  # $1: extras, e.g. "test" or ""
  local extras="${1:-}" py want stamp
  if [ ! -x .venv/bin/python ]; then
    py=$(find_python)
    echo "» creating .venv with $py" >&2
    "$py" -m venv .venv
  fi
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-base}
  stamp=.venv/.installed
  if [ ! -f "$stamp" ] || ! grep -qx "$want" "$stamp"; then
    echo "» installing the project into .venv (${extras:-base})" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    if [ -n "$extras" ]; then
      .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]" >&2
    else
      .venv/bin/python -m pip install --quiet --disable-pip-version-check -e . >&2
    fi
    # a test install also satisfies a plain one
    if [ "$extras" = "test" ]; then printf '%s\n%s\n' "$want" "${want%-test}-base" > "$stamp"; else echo "$want" > "$stamp"; fi
  fi
}
