#!/bin/sh
# The image's entry point (deploy/Dockerfile). Rasa starts through infra/quiet.py
# (`python -m infra.quiet ARGS` is `rasa ARGS` without third-party deprecation
# warnings; ADVISOR_SHOW_WARNINGS=1 shows them).
#
#   no arguments   the Rasa server, started by the project's one launcher
#                  (`python -m infra.launch rasa`, the same settings and checks as
#                  `make run`), on 0.0.0.0:5005 with the channels of credentials.yml
#                  and the action server at ACTION_SERVER_URL. Rasa's HTTP API
#                  (--enable-api: conversations, tracker, model) is on only when
#                  RASA_AUTH_TOKEN is set (16 characters or more), with that token.
#   arguments      `rasa ARGS` as given, e.g. `run actions --actions actions --port 5055`
#                  for the action server, or a Helm chart's own `run ...` arguments.
set -eu
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  exec python -m infra.quiet "$@"
fi

if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  echo "entrypoint: Rasa's HTTP API is off (set RASA_AUTH_TOKEN to turn it on with a token)." >&2
  RASA_ENABLE_API=false
  export RASA_ENABLE_API
fi
RASA_INTERFACE=${RASA_INTERFACE:-0.0.0.0}
export RASA_INTERFACE
exec python -m infra.launch rasa
