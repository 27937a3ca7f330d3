"""Signing Open Badges 3.0 credentials as VC-JWT (JWS compact, EdDSA / Ed25519) and checking them.

The issuer key is an Ed25519 key kept in the data directory (generated on first use, file mode
0600, never logged). The issuer is identified by a `did:key` derived from its public key, so a
badge can be verified offline: the public key is in the identifier itself (and repeated as a JWK in
the JOSE header). To trust a badge, a third party compares that `did:key` with the one the training
publishes (`ticebot badge issuer` prints the profile to publish).

Verification is strict on purpose: a badge with one byte changed anywhere must fail. Base64url
segments must be canonical (an altered padding bit decodes to the same bytes and would otherwise
pass), the file may only end with one newline, and the claims must agree with the credential.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "badge-issuer-ed25519.pem"
_ED25519_MULTICODEC = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


class BadgeInvalid(Exception):
    """The file is not a badge this verifier accepts; str() says what is wrong, in French."""


class KeyProblem(Exception):
    """The issuer key file cannot be used (bad permissions, not an Ed25519 key…)."""


@dataclass(frozen=True)
class Issuer:
    key: Ed25519PrivateKey
    name: str
    url: str = ""

    @property
    def did(self) -> str:
        return did_key(self.key.public_key())

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    def profile(self) -> dict[str, Any]:
        """The OB 3.0 issuer Profile, with the public key as a JWK (what the training publishes)."""
        profile: dict[str, Any] = {"id": self.did, "type": ["Profile"], "name": self.name}
        if self.url:
            profile["url"] = self.url
        return profile

    def published(self) -> dict[str, Any]:
        return {**self.profile(), "publicKeyJwk": public_jwk(self.key.public_key())}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(segment: str, what: str) -> bytes:
    if not _SEGMENT.match(segment):
        raise BadgeInvalid(f"{what} : caractères interdits (base64url attendu)")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError as exc:
        raise BadgeInvalid(f"{what} : base64url illisible") from exc
    if _b64(data) != segment:
        raise BadgeInvalid(f"{what} : encodage base64url non canonique (fichier modifié)")
    return data


def _base58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _unbase58(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _B58:
            raise BadgeInvalid("identifiant did:key illisible")
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def did_key(public: Ed25519PublicKey) -> str:
    return "did:key:z" + _base58(_ED25519_MULTICODEC + _raw(public))


def key_from_did(did: str) -> Ed25519PublicKey:
    if not did.startswith("did:key:z"):
        raise BadgeInvalid(f"émetteur « {did} » : seul un identifiant did:key (Ed25519) peut être vérifié hors ligne")
    data = _unbase58(did.removeprefix("did:key:z"))
    if len(data) != 34 or not data.startswith(_ED25519_MULTICODEC):
        raise BadgeInvalid(f"émetteur « {did} » : ce n'est pas une clé Ed25519")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(_raw(public))}


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The issuer key at `path`, created (0600) on first use. Refused if others can read it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile: use theirs
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyProblem(f"{path} : la clé de l'émetteur est lisible par d'autres (droits {oct(mode & 0o777)}) ; "
                         f"corrigez avec `chmod 600 {path}`")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise KeyProblem(f"{path} : clé illisible (PEM PKCS#8 attendu)") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path} : ce n'est pas une clé Ed25519")
    return key


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def sign_credential(credential: dict[str, Any], issuer: Issuer) -> str:
    """The credential as a VC-JWT (Open Badges 3.0 §8.2): its members at the top of the payload,
    with the registered claims iss, jti, sub and nbf (= validFrom)."""
    payload = {**credential, "iss": issuer.did, "jti": credential["id"], "nbf": _epoch(credential["validFrom"])}
    subject = credential.get("credentialSubject", {}).get("id")
    if subject:
        payload["sub"] = subject
    header = {"alg": "EdDSA", "typ": "JWT", "kid": issuer.kid, "jwk": public_jwk(issuer.key.public_key())}
    signing_input = (_b64(json.dumps(header, separators=(",", ":")).encode()) + "."
                     + _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()))
    return signing_input + "." + _b64(issuer.key.sign(signing_input.encode("ascii")))


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadgeInvalid(f"{what} : JSON illisible") from exc
    if not isinstance(value, dict):
        raise BadgeInvalid(f"{what} : un objet JSON est attendu")
    return value


def verify_badge(content: bytes, expected_issuer: str | None = None) -> dict[str, Any]:
    """The verified payload of a badge file's bytes; BadgeInvalid says what is wrong."""
    text = content[:-1] if content.endswith(b"\n") else content
    try:
        token = text.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BadgeInvalid("le fichier contient autre chose qu'un jeton JWT (caractères non ASCII)") from exc
    parts = token.split(".")
    if len(parts) != 3:
        raise BadgeInvalid("ce n'est pas un jeton JWT (trois parties séparées par des points attendues)")
    header = _json(_unb64(parts[0], "en-tête"), "en-tête")
    payload_bytes = _unb64(parts[1], "contenu")
    signature = _unb64(parts[2], "signature")
    if header.get("alg") != "EdDSA" or "crit" in header:
        raise BadgeInvalid(f"algorithme « {header.get('alg')} » refusé : EdDSA (Ed25519) attendu")
    payload = _json(payload_bytes, "contenu")
    issuer = payload.get("iss")
    if not isinstance(issuer, str):
        raise BadgeInvalid("contenu : la revendication iss (émetteur) manque")
    public = key_from_did(issuer)
    if header.get("jwk") not in (None, public_jwk(public)) or header.get("kid", issuer).split("#")[0] != issuer:
        raise BadgeInvalid("l'en-tête désigne une autre clé que celle de l'émetteur")
    try:
        public.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature as exc:
        raise BadgeInvalid("signature invalide : le badge a été modifié ou n'a pas été signé par cet émetteur") from exc
    _check_claims(payload)
    if expected_issuer is not None and issuer != expected_issuer:
        raise BadgeInvalid(f"signé par {issuer}, pas par l'émetteur attendu {expected_issuer}")
    return payload


def _check_claims(payload: dict[str, Any]) -> None:
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != payload["iss"]:
        raise BadgeInvalid("l'émetteur du badge (issuer) ne correspond pas à la signature (iss)")
    if "OpenBadgeCredential" not in payload.get("type", []):
        raise BadgeInvalid("ce n'est pas un OpenBadgeCredential")
    if payload.get("jti") != payload.get("id"):
        raise BadgeInvalid("jti ne correspond pas à l'identifiant du badge")
    try:
        if payload.get("nbf") != _epoch(str(payload.get("validFrom"))):
            raise BadgeInvalid("nbf ne correspond pas à validFrom")
    except ValueError as exc:
        raise BadgeInvalid("validFrom illisible") from exc
    subject = payload.get("credentialSubject")
    if isinstance(subject, dict) and subject.get("id") and payload.get("sub") != subject["id"]:
        raise BadgeInvalid("sub ne correspond pas au titulaire du badge")
