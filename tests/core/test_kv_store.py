"""The app's key-value store (Matrix sync token, DM rooms): what is written is read back, a second write
of a key replaces the first, one batch writes new and known keys together; on both databases."""

from __future__ import annotations

from core_support import make_app


async def test_written_values_are_read_back_and_a_second_write_replaces_the_first(database_url: str) -> None:
    app, _adapter, _clock = await make_app(database_url)
    try:
        await app.kv_set("matrix:since", "s1")
        await app.kv_set_many({"matrix:since": "s2", "matrix:last:!r": "$e1"})
        await app.kv_set_many({})
        assert await app.kv_get("matrix:since") == "s2"
        assert await app.kv_get("matrix:missing") is None
        assert await app.kv_get_many(["matrix:since", "matrix:last:!r", "matrix:missing"]) == {
            "matrix:since": "s2", "matrix:last:!r": "$e1"}
    finally:
        await app.close()


async def test_a_restart_reads_what_was_written(database_url: str) -> None:
    app, _adapter, _clock = await make_app(database_url)
    await app.kv_set_many({"matrix:since": "s9", "matrix:dm:user:@a:hs": "!dm"})
    await app.close()
    again, _adapter, _clock = await make_app(database_url)
    try:
        assert await again.kv_get_many(["matrix:since", "matrix:dm:user:@a:hs"]) == {
            "matrix:since": "s9", "matrix:dm:user:@a:hs": "!dm"}
    finally:
        await again.close()
