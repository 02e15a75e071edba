#!/usr/bin/env bash
# The scale-out stack on this machine: PostgreSQL, Redis, the action server, two Rasa
# instances and nginx in front of them, all on 127.0.0.1 (see infra/cluster.py).
#
#   scripts/cluster.sh setup   install Debian's postgresql, redis-server and nginx when missing
#   scripts/cluster.sh [run]   setup, then start the stack; Ctrl-C stops everything
#
# Nothing is edited: ports and sizes come from environment variables
# (CLUSTER_PORT, CLUSTER_DIR, RASA_INSTANCES, ... listed in infra/cluster.py).
# The packages' own services are never started: the install runs under a
# policy-rc.d that refuses service starts, and the stack runs its own throwaway
# PostgreSQL cluster and Redis in var/cluster/ (git-ignored), stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

have_all() {
  command -v redis-server >/dev/null 2>&1 && [ -x /usr/sbin/nginx ] &&
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

setup() {
  have_all && return 0
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo "$0" setup; return; fi
    echo "cluster: need postgresql, redis-server and nginx; install them as root:" >&2
    echo "  apt-get install -y postgresql redis-server nginx" >&2
    exit 1
  fi
  # Keep apt from starting the packages' default services (nginx on :80, Redis on
  # :6379, PostgreSQL on :5432): policy-rc.d exit 101 means "do not start".
  local policy=/usr/sbin/policy-rc.d created=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created=1
  fi
  if ! apt-cache policy redis-server nginx postgresql 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server nginx || rc=$?
  [ -n "$created" ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || exit "$rc"
  have_all || { echo "cluster: packages installed but binaries not found" >&2; exit 1; }
}

case "${1:-run}" in
  setup) setup ;;
  run)
    setup
    export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH="$PWD"
    exec .venv/bin/python -m infra.cluster
    ;;
  *) echo "usage: $0 [setup|run]" >&2; exit 2 ;;
esac
