"""Fixtures for the Matrix tests: one Synapse per test session, fresh users per test."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest
from matrix_homeserver import Homeserver, start_homeserver


def _synapse_missing() -> bool:
    return importlib.util.find_spec("synapse") is None


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """A real Synapse on a free 127.0.0.1 port, stopped at the end of the session.

    Without matrix-synapse installed the Matrix tests are skipped locally, but fail in CI (CI=true) so a
    broken install never passes silently.
    """
    if _synapse_missing():
        reason = "matrix-synapse is not installed (pip install -e '.[test]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    server = start_homeserver(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()
