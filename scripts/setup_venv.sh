#!/usr/bin/env bash
# Create/refresh the Python 3.10 venv in ONE pip run, constrained by requirements.lock.
# Idempotent: `make setup` only calls this when pyproject.toml or requirements.lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp="${1:-}"

find_python() {
  for c in "${PYTHON310:-}" python3.10 "$HOME/.pyenv/versions/3.10"*/bin/python3.10 /root/.pyenv/versions/3.10*/bin/python3.10; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null && { echo "$c"; return; }
  done
  echo "error: Python 3.10 not found (Rasa 3.6 needs <=3.10). Install it (e.g. pyenv install 3.10) or set PYTHON310." >&2
  exit 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(find_python)
  echo ">> creating .venv with $py"
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade "pip>=24,<26" "setuptools>=65,<70" wheel

if [ "$stamp" = "--relock" ]; then
  .venv/bin/python -m pip install -e '.[dev]'
  .venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock
  echo ">> wrote requirements.lock"
  exit 0
fi

echo ">> installing pinned dependencies (one resolver run; cached by pip)"
.venv/bin/python -m pip install --progress-bar on -c requirements.lock -e '.[dev]'
echo ">> pip check"
.venv/bin/python -m pip check
rm -f .venv/.installed-*
[ -n "$stamp" ] && touch "$stamp"
echo ">> environment ready"
