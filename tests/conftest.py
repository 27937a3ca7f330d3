"""Shared fixtures: a database URL on SQLite and on PostgreSQL, each test on a fresh database.

PostgreSQL is at 127.0.0.1:5432 (trust auth). With CI=true an unreachable PostgreSQL fails the run
instead of skipping: a green CI must mean both databases were tested.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_HOST = os.environ.get("TICEBOT_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TICEBOT_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TICEBOT_TEST_PG_USER", "postgres")
PG_ADMIN_DB = os.environ.get("TICEBOT_TEST_PG_DB", "test")
IN_CI = os.environ.get("CI", "").lower() == "true"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database=PG_ADMIN_DB, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_pg_state: dict[str, str | None] = {}


def _postgres_problem() -> str | None:
    if "problem" not in _pg_state:
        try:
            asyncio.run(_pg_admin("SELECT 1"))
            _pg_state["problem"] = None
        except Exception as exc:  # any failure to connect is reported the same way
            _pg_state["problem"] = f"PostgreSQL unreachable at {PG_HOST}:{PG_PORT}: {exc}"
    return _pg_state["problem"]


def require_postgres() -> None:
    problem = _postgres_problem()
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test, on both engines."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    require_postgres()
    name = f"ticebot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"



@pytest.fixture(autouse=True, scope="session")
def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Charts and exports written by the bot land in a temporary folder, not in the checkout."""
    previous = os.environ.get("TICEBOT_DATA_DIR")
    os.environ["TICEBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("ticebot-data"))
    yield
    if previous is None:
        os.environ.pop("TICEBOT_DATA_DIR", None)
    else:
        os.environ["TICEBOT_DATA_DIR"] = previous


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real Synapse on a free 127.0.0.1 port for the whole run (Matrix and cross-platform tests).

    Without matrix-synapse installed these tests are skipped locally, but fail in CI (CI=true) so a
    broken install never passes silently.
    """
    import importlib.util

    if importlib.util.find_spec("synapse") is None:
        reason = "matrix-synapse is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from matrix_homeserver import start_homeserver

    server = start_homeserver(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()
