"""A second session Synapse, configured like Tchap: private rooms and DMs encrypted by default."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def tchap_homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """`encryption_enabled_by_default_for_room_type: invite`, as on Tchap; the plain `homeserver` fixture
    keeps serving the unencrypted tests. Skipped without matrix-synapse locally, failed in CI."""
    if importlib.util.find_spec("synapse") is None:
        reason = "matrix-synapse is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from matrix_homeserver import start_homeserver

    server = start_homeserver(tmp_path_factory.mktemp("synapse-tchap"), tchap=True)
    try:
        yield server
    finally:
        server.stop()
