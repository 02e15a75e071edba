#!/usr/bin/env bash
# Start the action server, then the Rasa server (`server`) or `rasa shell` (`shell`).
# In `server` mode the web page with the chat widget is served too (scripts/serve_web.py).
# `check` only checks the settings below and prints the Rasa command (token hidden).
# The background servers are stopped when this script ends.
#
# Settings, from the environment (secrets only from there, never from a file here):
#   ACTION_PORT, RASA_PORT, WEB_PORT  ports (5055, 5005, 8080)
#   RASA_INTERFACE       where the Rasa server listens (default 127.0.0.1); the action
#                        server and the web page always listen on 127.0.0.1 only
#   RASA_ENABLE_API      true (default) or false: Rasa's HTTP API (--enable-api)
#   RASA_AUTH_TOKEN      the HTTP API's token (--auth-token), 16 characters or more;
#                        required when the API is on and RASA_INTERFACE is not loopback
#   RASA_MAX_BODY_BYTES  largest request body (and WebSocket message) the Rasa server
#                        accepts, on every endpoint (default 65536); larger gets 413
#   WEB_ORIGINS          web origins allowed to open the widget's socket, comma
#                        separated (default the page on WEB_PORT); never "*"
# Every check runs before anything starts: a refused setting starts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-server}
bin=.venv/bin

ACTION_PORT=${ACTION_PORT:-5055}
RASA_PORT=${RASA_PORT:-5005}
WEB_PORT=${WEB_PORT:-8080}
RASA_INTERFACE=${RASA_INTERFACE:-127.0.0.1}
RASA_ENABLE_API=${RASA_ENABLE_API:-true}
RASA_MAX_BODY_BYTES=${RASA_MAX_BODY_BYTES:-65536}
export WEB_ORIGINS=${WEB_ORIGINS:-http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT}
token=${RASA_AUTH_TOKEN:-}

refuse() {
  printf 'run.sh: refusing to start: %s\n' "$*" >&2
  exit 2
}

case "$mode" in server | shell | check) ;; *) refuse "unknown mode '$mode' (server, shell or check)" ;; esac
case "$RASA_ENABLE_API" in true | false) ;; *) refuse "RASA_ENABLE_API must be true or false." ;; esac
if ! [[ "$RASA_MAX_BODY_BYTES" =~ ^[0-9]{4,9}$ ]] || ((RASA_MAX_BODY_BYTES < 1024)); then
  refuse "RASA_MAX_BODY_BYTES must be a number of bytes from 1024 to 999999999."
fi
if [[ "$RASA_INTERFACE" =~ ^127(\.[0-9]{1,3}){3}$ || "$RASA_INTERFACE" =~ ^(localhost|::1|\[::1\])$ ]]; then
  loopback=true
else
  loopback=false
fi
if [ "$RASA_ENABLE_API" = true ] && [ "$loopback" = false ] && [ -z "$token" ]; then
  refuse "the Rasa HTTP API (--enable-api) would listen on $RASA_INTERFACE, beyond this" \
    "machine, without a token: anyone who reaches the port could read every conversation." \
    "Set RASA_AUTH_TOKEN (16 characters or more; passed as --auth-token), or" \
    "RASA_ENABLE_API=false, or leave RASA_INTERFACE at 127.0.0.1."
fi
if [ -n "$token" ] && [ "${#token}" -lt 16 ]; then
  refuse "RASA_AUTH_TOKEN is shorter than 16 characters."
fi
IFS=, read -r -a raw_origins <<<"$WEB_ORIGINS"
origins=()
for origin in "${raw_origins[@]}"; do
  origin=${origin//[[:space:]]/}
  [ -n "$origin" ] || continue
  [[ "$origin" =~ ^https?://[^/*[:space:]]+$ ]] ||
    refuse "WEB_ORIGINS must list origins like https://example.org (no '*', no path): '$origin'."
  origins+=("$origin")
done
[ "${#origins[@]}" -gt 0 ] || refuse "WEB_ORIGINS lists no origin."

# The Rasa server. The widget talks socket.io only; its origins (WEB_ORIGINS) get CORS
# headers from the socket.io channel itself (channels/guarded_socketio.py), which refuses
# other origins. No Sanic --cors: it would add a second Access-Control-Allow-Origin header
# (and without it no other endpoint answers a browser on another origin).
# Sanic reads SANIC_* from the environment of the Rasa process only: the action server
# receives whole trackers, which outgrow a small cap, and listens on 127.0.0.1 only.
# endpoints.yml names the action server at its default address; another
# ACTION_SERVER_URL gets a copy naming it (infra/endpoints.py).
action_url=${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT/webhook}
endpoints=$(PYTHONPATH=. "$bin/python" -m infra.endpoints "$action_url") && [ -n "$endpoints" ] ||
  refuse "could not prepare the endpoints file for ACTION_SERVER_URL."
# scripts/rasa is Rasa's command line with third-party deprecation warnings filtered
# from the first import (infra/quiet.py; ADVISOR_SHOW_WARNINGS=1 shows them).
rasa_cmd=(scripts/rasa run --model models/advisor.tar.gz --endpoints "$endpoints"
  --credentials credentials.yml --interface "$RASA_INTERFACE" --port "$RASA_PORT")
shown=("${rasa_cmd[@]}")
if [ "$RASA_ENABLE_API" = true ]; then
  rasa_cmd+=(--enable-api)
  shown+=(--enable-api)
fi
if [ -n "$token" ]; then
  rasa_cmd+=(--auth-token "$token")
  shown+=(--auth-token '***')
fi
limits=(SANIC_REQUEST_MAX_SIZE="$RASA_MAX_BODY_BYTES" SANIC_WEBSOCKET_MAX_SIZE="$RASA_MAX_BODY_BYTES")

if [ "$mode" = check ]; then
  echo "ok: WEB_ORIGINS=$WEB_ORIGINS ${limits[*]} ${shown[*]}"
  exit 0
fi

mkdir -p var/log
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT

env -u SANIC_REQUEST_MAX_SIZE -u SANIC_WEBSOCKET_MAX_SIZE SANIC_HOST=127.0.0.1 \
  "$bin/rasa" run actions --actions actions --port "$ACTION_PORT" >var/log/actions.log 2>&1 &
actions_pid=$!
pids+=("$actions_pid")
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$ACTION_PORT/health" >/dev/null && break
  kill -0 "$actions_pid" 2>/dev/null || { echo "action server failed, see var/log/actions.log"; exit 1; }
  sleep 0.5
done

if [ "$mode" = shell ]; then
  # rasa shell serves Rasa's stock REST channel for itself: keep it on this machine.
  env "${limits[@]}" scripts/rasa shell --model models/advisor.tar.gz --endpoints "$endpoints" \
    --interface 127.0.0.1 --port "$RASA_PORT"
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

if [ "$RASA_ENABLE_API" = false ]; then
  api="HTTP API off"
elif [ -n "$token" ]; then
  api="HTTP API on $RASA_INTERFACE, token required"
else
  api="HTTP API on localhost only, no token"
fi
cat <<MSG

  The advisor is starting on http://$RASA_INTERFACE:$RASA_PORT ($api).
  Chat in your browser:  http://localhost:$WEB_PORT/  (ready once Rasa says it is up)
  Chat over REST, for example:
    curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
      -H 'Content-Type: application/json' -d '{"sender":"me","message":"I am a data scientist"}'
  Or stop this (Ctrl-C) and run 'make shell' to chat in the terminal.

MSG
env "${limits[@]}" "${rasa_cmd[@]}"
