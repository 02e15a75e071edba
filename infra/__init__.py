"""Persistence and scale-out: the tracker and lock stores chosen from the environment.

- `infra.stores.EnvTrackerStore`: conversations in SQL (SQLite by default,
  PostgreSQL from TRACKER_DB_URL or DB_*), failing loudly instead of silently
  starting a new conversation.
- `infra.locks.EnvLockStore`: in-memory per-conversation lock, or, with REDIS_URL,
  `infra.locks.AtomicRedisLockStore`, a lock that is correct across Rasa instances.
- `infra.action_failures`: notices, for one turn, that a custom action could not run.
- `infra.cluster`: starts the local scale-out stack (`make cluster`, reliability tests).
"""
