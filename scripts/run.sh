#!/usr/bin/env bash
# Start the action server, then the Rasa server (`server`) or `rasa shell` (`shell`).
# The action server is stopped when this script ends. Ports: ACTION_PORT, RASA_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-server}
bin=.venv/bin
mkdir -p var/log

"$bin/rasa" run actions --actions actions --port "$ACTION_PORT" >var/log/actions.log 2>&1 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$ACTION_PORT/health" >/dev/null && break
  kill -0 "$actions_pid" 2>/dev/null || { echo "action server failed, see var/log/actions.log"; exit 1; }
  sleep 0.5
done

if [ "$mode" = shell ]; then
  "$bin/rasa" shell --model models/advisor.tar.gz --endpoints endpoints.yml
  exit
fi

cat <<MSG

  The advisor is starting on http://127.0.0.1:$RASA_PORT (HTTP API on localhost only).
  Chat over REST, for example:
    curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
      -H 'Content-Type: application/json' -d '{"sender":"me","message":"I am a data scientist"}'
  Or stop this (Ctrl-C) and run 'make shell' to chat in the terminal.

MSG
"$bin/rasa" run --model models/advisor.tar.gz --endpoints endpoints.yml \
  --credentials credentials.yml --enable-api --interface 127.0.0.1 --port "$RASA_PORT"
