"""Plain `rasa shell` and `rasa run` start with no project variables set."""

from __future__ import annotations

import os

import pytest
from rasa.core.utils import AvailableEndpoints

from infra.endpoints import ENDPOINTS, ROOT, endpoints_for


@pytest.fixture
def no_project_variables(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("ACTION_", "TRACKER_", "DB_", "REDIS_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)


def test_rasa_reads_endpoints_yml_with_no_variables_set(no_project_variables):
    # Rasa's own reader: a ${VAR} that is not set stops `rasa shell` here
    endpoints = AvailableEndpoints.read_endpoints(ENDPOINTS)
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"


def test_another_action_server_gets_a_file_naming_it(no_project_variables):
    url = "http://127.0.0.1:6123/webhook"
    path = endpoints_for(url)
    assert path != ENDPOINTS
    endpoints = AvailableEndpoints.read_endpoints(path)
    assert endpoints.action.url == url
    original = AvailableEndpoints.read_endpoints(ENDPOINTS)
    assert endpoints.tracker_store.type == original.tracker_store.type
    assert endpoints_for(url) == path  # written once per address


def test_the_default_address_uses_endpoints_yml_itself():
    assert endpoints_for(None) == ENDPOINTS
    assert endpoints_for("http://127.0.0.1:5055/webhook") == ENDPOINTS
