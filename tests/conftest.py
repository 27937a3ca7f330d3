"""Shared fixtures: a database URL on SQLite and on PostgreSQL, each test on a fresh database (a copy
of one migrated template per run; `empty_database_url` for the migrations' own tests).

PostgreSQL is at 127.0.0.1:5432 (trust auth). With CI=true an unreachable PostgreSQL fails the run
instead of skipping: a green CI must mean both databases were tested.
"""

from __future__ import annotations

import asyncio
import os
import shutil
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


async def _migrate(url: str) -> None:
    from bot.db.database import Database

    db = Database(url)
    try:
        await db.create_schema()
    finally:
        await db.dispose()


@pytest.fixture
def postgres_required() -> None:
    """For tests that reach PostgreSQL by themselves (a subprocess): skipped without it, failed in CI."""
    require_postgres()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head for the whole run: each test copies it instead of running
    every migration again (the copy is what a bot finds after its first start)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftovers, f"the template must be one closed file, found {leftovers}"
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """One PostgreSQL database migrated to head for the whole run, the TEMPLATE of every test's
    database (CREATE DATABASE … TEMPLATE copies files; running the migrations took seconds per test)."""
    require_postgres()
    name = f"ticebot_template_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_migrate(f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"))
        yield name
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fresh_sqlite(tmp_path: Path, template: Path) -> str:
    target = tmp_path / "test.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database per test, on both engines, already migrated to head (as after a first start)."""
    if request.param == "sqlite":
        yield _fresh_sqlite(tmp_path, request.getfixturevalue("_sqlite_template"))
        return
    template = request.getfixturevalue("_pg_template")
    name = f"ticebot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no table at all, for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    require_postgres()
    name = f"ticebot_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    return _fresh_sqlite(tmp_path, _sqlite_template)


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
