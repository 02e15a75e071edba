"""Persistence and scale-out: the tracker and lock stores chosen from the environment.

- `infra.stores.EnvTrackerStore`: conversations in SQL (SQLite by default,
  PostgreSQL from TRACKER_DB_URL or DB_*), failing loudly instead of silently
  starting a new conversation.
- `infra.locks.EnvLockStore`: in-memory per-conversation lock, or, with REDIS_URL,
  `infra.locks.AtomicRedisLockStore`, a lock that is correct across Rasa instances.
- `infra.runtime`: every change the advisor makes to Rasa, listed, version-checked and
  switchable (`ADVISOR_STOCK_RASA=1`); installed when the tracker store is created.
  Its entries live in `infra.speedups`, `infra.action_failures` (a turn whose custom
  action could not run is dropped) and `infra.stores` (the store is not wrapped).
- `infra.errors`: what the runtime raises for a channel to answer.
- `infra.cluster`: starts the local scale-out stack (`make cluster`, reliability tests).
"""
