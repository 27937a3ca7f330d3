"""Signed Open Badges 3.0: exported as VC-JWT (Ed25519), verified offline, any changed byte refused."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from decl_support import HEADER
from typer.testing import CliRunner

from adapters.console.replay import Replay
from bot.cli import _mount, app
from bot.declarations.signing import BadgeInvalid, Issuer, load_or_create_key, sign_credential, verify_badge

_mount()

SCRIPT = """
alice in general: /declare B2-3 A1-1 https://exemple.org/sequence
fabienne reply: /valider B2-3 Bravo
fabienne reply: /refuser A1-1 Trace absente
"""


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path | str]:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'badges.db'}"

    async def build() -> None:
        replay = Replay(database_url=url)
        try:
            await replay.run_script(HEADER + SCRIPT)
        finally:
            await replay.close()

    asyncio.run(build())
    config = tmp_path / "ticebot.toml"
    config.write_text('[badges]\nissuer_name = "INSPÉ de Bourgogne — formation TICE"\n'
                      'issuer_url = "https://inspe.example.org/badges"\n', encoding="utf-8")
    return {"url": url, "config": config, "out": tmp_path / "badges",
            "key": tmp_path / "data" / "badge-issuer-ed25519.pem"}


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _export(world: dict[str, Path | str]) -> Path:
    code, output = _cli("export", "badges", "--member", "alice", "--space", "demo", "--out", str(world["out"]),
                        "--database", str(world["url"]), "--config", str(world["config"]))
    assert code == 0, output
    [badge] = sorted(Path(world["out"]).glob("*.jwt"))  # only the validated competence
    assert badge.name == "alice-demo-B2-3.jwt"
    return badge


def test_exported_badge_is_a_signed_open_badge_that_verifies(world: dict[str, Path | str]) -> None:
    badge = _export(world)
    key = Path(world["key"])
    assert oct(key.stat().st_mode & 0o777) == "0o600"  # generated on first use, owner only
    pem = key.read_text(encoding="ascii")
    code, output = _cli("badge", "verify", str(badge))
    assert code == 0 and "badge valide" in output and "Attention" not in output, output
    assert pem.splitlines()[1] not in output  # the key is never printed
    header_b64, payload_b64, _ = badge.read_text(encoding="ascii").strip().split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    assert header["alg"] == "EdDSA" and header["jwk"]["crv"] == "Ed25519"
    code, output = _cli("badge", "verify", str(badge), "--json")
    payload = json.loads(output)
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                   "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    issuer = payload["issuer"]
    assert issuer["name"] == "INSPÉ de Bourgogne — formation TICE"
    assert issuer["url"] == "https://inspe.example.org/badges"
    assert issuer["id"].startswith("did:key:z6Mk") and payload["iss"] == issuer["id"]
    assert payload["jti"] == payload["id"]
    subject = payload["credentialSubject"]
    assert payload["sub"] == subject["id"] == "urn:ticebot:member:console:alice"
    assert subject["achievement"]["name"].startswith("B2-3") and subject["achievement"]["criteria"]["narrative"]
    assert payload["validFrom"].startswith("2026-09-07T")
    # The published profile names the same key.
    code, output = _cli("badge", "issuer", "--config", str(world["config"]))
    published = json.loads(output)
    assert code == 0 and published["id"] == issuer["id"] and published["publicKeyJwk"] == header["jwk"]
    assert "d" not in published["publicKeyJwk"]  # public part only
    readme = (Path(world["out"]) / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert f"ticebot badge verify FICHIER.jwt --issuer {issuer['id']}" in readme


def test_one_changed_byte_anywhere_fails_verification(world: dict[str, Path | str]) -> None:
    badge = _export(world)
    original = badge.read_bytes()
    expected = Issuer(load_or_create_key(Path(world["key"])), "").did
    assert verify_badge(original, expected)["iss"] == expected
    for position in range(len(original)):
        for replacement in {original[position] ^ 1, ord("A") if original[position] != ord("A") else ord("B")}:
            changed = original[:position] + bytes([replacement]) + original[position + 1:]
            with pytest.raises(BadgeInvalid):
                verify_badge(changed, expected)
    # Through the command, as a recipient would: non-zero exit and a clear message.
    middle = len(original) // 2
    badge.write_bytes(original[:middle] + bytes([original[middle] ^ 1]) + original[middle + 1:])
    code, output = _cli("badge", "verify", str(badge))
    assert code == 1 and "badge NON valide" in output
    badge.write_bytes(original + b"x")
    assert _cli("badge", "verify", str(badge))[0] == 1


def test_a_badge_re_signed_with_another_key_is_refused(world: dict[str, Path | str], tmp_path: Path) -> None:
    badge = _export(world)
    payload = verify_badge(badge.read_bytes())
    forged = {k: v for k, v in payload.items() if k not in ("iss", "jti", "sub", "nbf")}
    forger = Issuer(load_or_create_key(tmp_path / "forger.pem"), "Faussaire")
    forged["issuer"] = forger.profile() | {"name": payload["issuer"]["name"]}
    fake = tmp_path / "fake.jwt"
    fake.write_text(sign_credential(forged, forger) + "\n", encoding="ascii")
    code, output = _cli("badge", "verify", str(fake))  # compared with the local issuer key by default
    assert code == 1 and "pas par l'émetteur attendu" in output
    code, output = _cli("badge", "verify", str(fake), "--issuer", payload["iss"], "--key", str(tmp_path / "none.pem"))
    assert code == 1
    code, output = _cli("badge", "verify", str(fake), "--key", str(tmp_path / "none.pem"))
    assert code == 0 and "Attention : émetteur non comparé" in output  # nothing to compare with: said so


def test_a_key_readable_by_others_is_refused(world: dict[str, Path | str]) -> None:
    _export(world)
    Path(world["key"]).chmod(0o644)
    code, output = _cli("export", "badges", "--member", "alice", "--out", str(world["out"]),
                        "--database", str(world["url"]))
    assert code == 1 and "chmod 600" in output and "Traceback" not in output


def test_not_a_badge_is_explained(tmp_path: Path) -> None:
    for content, why in ((b"bonjour", "trois parties"), ("é.é.é".encode(), "non ASCII"),
                         (b"a.b.c", "base64url illisible"), (b"YWJj.YWJj.YWJj", "JSON illisible")):
        path = tmp_path / "x.jwt"
        path.write_bytes(content)
        code, output = _cli("badge", "verify", str(path), "--key", str(tmp_path / "none.pem"))
        assert code == 1 and why in output, output
    code, output = _cli("badge", "verify", str(tmp_path / "absent.jwt"))
    assert code == 1 and "illisible" in output
