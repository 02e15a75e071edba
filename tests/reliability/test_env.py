"""Which stores the environment selects (no servers needed)."""

from __future__ import annotations

from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from infra.locks import redis_url
from infra.stores import DEFAULT_SQLITE_PATH, EnvTrackerStore, tracker_db_url


def test_sqlite_in_var_data_by_default():
    assert tracker_db_url({}) == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert tracker_db_url({"TRACKER_DB_PATH": "/tmp/x.db"}) == "sqlite:////tmp/x.db"


def test_postgresql_from_a_url_or_from_parts():
    assert tracker_db_url({"TRACKER_DB_URL": "postgres://u:p@h:5/d"}) == (
        "postgresql://u:p@h:5/d"
    )
    # the variables the official Rasa Helm chart sets
    parts = {
        "DB_HOST": "pg",
        "DB_PORT": "5432",
        "DB_USER": "rasa",
        "DB_PASSWORD": "p@ss",
        "DB_DATABASE": "advisor",
    }
    assert tracker_db_url(parts) == "postgresql://rasa:p%40ss@pg:5432/advisor"


def test_redis_from_a_url_or_from_parts():
    assert redis_url({}) == ""
    assert redis_url({"REDIS_URL": "redis://:s@h:1/0", "REDIS_HOST": "x"}) == (
        "redis://:s@h:1/0"
    )
    assert redis_url({"REDIS_HOST": "r", "REDIS_PASSWORD": "a/b"}) == (
        "redis://:a%2Fb@r:6379/1"
    )


def test_the_env_tracker_store_is_not_wrapped_in_the_fail_safe_store(
    tmp_path, monkeypatch
):
    """Rasa's FailSafeTrackerStore would hide an outage behind a new conversation."""
    monkeypatch.setenv("TRACKER_DB_PATH", str(tmp_path / "t.db"))
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    monkeypatch.delenv("DB_HOST", raising=False)
    store = EnvTrackerStore(domain=Domain.empty())
    assert Agent(tracker_store=store).tracker_store is store
    other = InMemoryTrackerStore(Domain.empty())
    assert isinstance(Agent(tracker_store=other).tracker_store, FailSafeTrackerStore)
