"""Process-wide settings are made by a process's entry point only (issue 13): the collector and the
switch interval by ``ecowatch gateway`` / ``ecowatch serve``, never by a Gateway or the web app."""

from __future__ import annotations

import gc
import sys

from fastapi.testclient import TestClient

from ecowatch.gateway.tuning import GC_THRESHOLD, freeze_heap, serving_process
from ecowatch.store import migrate
from ecowatch.web.app import create_app

SECRET_KEY = b"k" * 32


def process_settings() -> tuple[tuple[int, ...], int, float]:
    return gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval()


def test_serving_process_sets_the_settings_for_its_block_and_restores_them():
    before = process_settings()
    with serving_process(switch_interval_s=0.001):
        assert gc.get_threshold() == (10_000, 50, 1_000) == GC_THRESHOLD
        assert sys.getswitchinterval() == 0.001
        freeze_heap()
        assert gc.get_freeze_count() > 0
    assert process_settings() == before
    assert gc.get_freeze_count() == 0


def test_a_gateway_leaves_the_process_settings_alone(sqlite_url, start_gateway):
    before = process_settings()
    gateway = start_gateway(sqlite_url)
    assert process_settings() == before
    gateway.stop()
    assert process_settings() == before


def test_the_web_application_leaves_the_collector_alone(sqlite_url):
    """In ``ecowatch serve`` the web app shares the process with the gateway: its start and stop must not
    freeze or unfreeze the heap (the first to stop unfroze the other's)."""
    migrate.upgrade(sqlite_url)
    before = process_settings()
    with TestClient(create_app(sqlite_url, secret_key=SECRET_KEY)) as client:
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert process_settings() == before
    assert process_settings() == before
