#!/bin/sh
# The image's entry point (deploy/Dockerfile). Rasa starts through infra/quiet.py
# (`python -m infra.quiet ARGS` is `rasa ARGS` without third-party deprecation
# warnings; ADVISOR_SHOW_WARNINGS=1 shows them).
#
#   no arguments   the Rasa server on port 5005 with the channels of credentials.yml
#                  (REST, the widget's socket.io, Slack) and the action server at
#                  ACTION_SERVER_URL (default: endpoints.yml's). Rasa's HTTP API
#                  (--enable-api: conversations, tracker, model) is on only when
#                  RASA_AUTH_TOKEN is set (16 characters or more), with that token.
#   arguments      `rasa ARGS` as given, e.g. `run actions --actions actions --port 5055`
#                  for the action server, or a Helm chart's own `run ...` arguments.
set -eu
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  exec python -m infra.quiet "$@"
fi

endpoints=$(python -m infra.endpoints)
set -- run --model models/advisor.tar.gz --port 5005 \
  --credentials credentials.yml --endpoints "$endpoints"
token=${RASA_AUTH_TOKEN:-}
if [ -n "$token" ]; then
  if [ "${#token}" -lt 16 ]; then
    echo "entrypoint: refusing to start: RASA_AUTH_TOKEN is shorter than 16 characters." >&2
    exit 2
  fi
  set -- "$@" --enable-api --auth-token "$token"
else
  echo "entrypoint: Rasa's HTTP API is off (set RASA_AUTH_TOKEN to turn it on with a token)." >&2
fi
exec python -m infra.quiet "$@"
