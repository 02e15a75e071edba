"""`make purge DAYS=N`: delete the conversations with no message in the last N days.

A conversation (a sender id) whose newest event is older than the cut-off is
deleted whole, in one transaction, on SQLite or PostgreSQL; a conversation still
going on is kept whole. On SQLite the deleted rows are overwritten
(`secure_delete`) and the write-ahead log is checkpointed, so the text does not
linger in the file; PostgreSQL frees the space at its next (auto)vacuum.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from report.store import Store

OLD = (
    "SELECT sender_id FROM events GROUP BY sender_id " "HAVING MAX(timestamp) < :cutoff"
)


def purge(store: Store, days: int, now: float | None = None) -> tuple[int, int]:
    """Delete old conversations; returns (conversations, events) deleted."""
    cutoff = (time.time() if now is None else now) - days * 86400
    with store.engine.begin() as connection:
        if store.dialect == "sqlite":
            connection.exec_driver_sql("PRAGMA secure_delete = ON")
        conversations = connection.execute(
            sa.text(f"SELECT COUNT(*) FROM ({OLD}) AS old"), {"cutoff": cutoff}
        ).scalar_one()
        events = connection.execute(
            sa.text(f"DELETE FROM events WHERE sender_id IN ({OLD})"),
            {"cutoff": cutoff},
        ).rowcount
    if store.dialect == "sqlite":
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return int(conversations), int(events)
