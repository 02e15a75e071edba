#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter, or explain and fail.
# Rasa 3.6 supports Python 3.8-3.10 only; this project uses 3.10.
set -u
for candidate in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10 \
    "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /root/.pyenv/versions/3.10*/bin/python3.10; do
  if path=$(command -v "$candidate" 2>/dev/null) && \
     "$path" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
echo "error: Python 3.10 is required (Rasa 3.6.21 does not install on 3.11+)." >&2
echo "Install it (e.g. 'apt-get install python3.10' or 'pyenv install 3.10') and re-run make." >&2
exit 1
