#!/usr/bin/env bash
# Start the action server, then the Rasa server (`server`) or `rasa shell` (`shell`).
# In `server` mode the web page with the chat widget is served too (scripts/serve_web.py).
# The background servers are stopped when this script ends.
# Ports: ACTION_PORT, RASA_PORT, WEB_PORT (default 8080). Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-server}
bin=.venv/bin
mkdir -p var/log

WEB_PORT=${WEB_PORT:-8080}
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT

SANIC_HOST=127.0.0.1 "$bin/rasa" run actions --actions actions --port "$ACTION_PORT" \
  >var/log/actions.log 2>&1 &
actions_pid=$!
pids+=("$actions_pid")
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$ACTION_PORT/health" >/dev/null && break
  kill -0 "$actions_pid" 2>/dev/null || { echo "action server failed, see var/log/actions.log"; exit 1; }
  sleep 0.5
done

if [ "$mode" = shell ]; then
  "$bin/rasa" shell --model models/advisor.tar.gz --endpoints endpoints.yml
  exit
fi

"$bin/python" scripts/serve_web.py --port "$WEB_PORT" --rasa-url "http://localhost:$RASA_PORT" \
  >var/log/web.log 2>&1 &
web_pid=$!
pids+=("$web_pid")
for _ in $(seq 1 40); do
  curl -sf "http://127.0.0.1:$WEB_PORT/" >/dev/null && break
  kill -0 "$web_pid" 2>/dev/null || { echo "web page server failed:"; cat var/log/web.log; exit 1; }
  sleep 0.25
done

cat <<MSG

  The advisor is starting on http://127.0.0.1:$RASA_PORT (HTTP API on localhost only).
  Chat in your browser:  http://localhost:$WEB_PORT/  (ready once Rasa says it is up)
  Chat over REST, for example:
    curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
      -H 'Content-Type: application/json' -d '{"sender":"me","message":"I am a data scientist"}'
  Or stop this (Ctrl-C) and run 'make shell' to chat in the terminal.

MSG
# --cors takes all origins after one flag (a second --cors would replace the first).
export WEB_ORIGINS=${WEB_ORIGINS:-http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT}
"$bin/rasa" run --model models/advisor.tar.gz --endpoints endpoints.yml \
  --credentials credentials.yml --enable-api --interface 127.0.0.1 --port "$RASA_PORT" \
  --cors "http://localhost:$WEB_PORT" "http://127.0.0.1:$WEB_PORT"
