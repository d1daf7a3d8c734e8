import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clearance.core import credentials
from clearance.core.enums import CredentialKind
from clearance.core.reasons import Reason
from clearance.vision import images, qr

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signed(key: Ed25519PrivateKey, *, expires_at: datetime = NOW + timedelta(days=30)) -> str:
    return credentials.sign_credential(
        key,
        kind=CredentialKind.STATIC,
        credential_id=uuid.uuid4(),
        commuter_id=uuid.uuid4(),
        expires_at=expires_at,
    )


def keys_of(*private: Ed25519PrivateKey) -> dict[str, object]:
    return {credentials.key_id(k.public_key()): k.public_key() for k in private}


@pytest.mark.parametrize(
    ("raw", "text"), [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"ietf!", "QED8WEX0")]
)
def test_base45_matches_rfc_9285_examples(raw: bytes, text: str) -> None:
    assert credentials.base45_encode(raw) == text
    assert credentials.base45_decode(text) == raw


@pytest.mark.parametrize("text", ["GGW", "A", "abc", "ZZZ"])
def test_base45_refuses_invalid_text(text: str) -> None:
    with pytest.raises(credentials.MalformedPayload):
        credentials.base45_decode(text)


def test_signed_credential_verifies_with_the_public_key_alone(key: Ed25519PrivateKey) -> None:
    credential_id, commuter_id = uuid.uuid4(), uuid.uuid4()
    text = credentials.sign_credential(
        key,
        kind=CredentialKind.STATIC,
        credential_id=credential_id,
        commuter_id=commuter_id,
        expires_at=NOW + timedelta(days=1),
    )
    result = credentials.verify_credential(text, public_keys=keys_of(key), now=NOW)
    assert result.problem is None
    assert result.claims is not None
    assert (result.claims.credential_id, result.claims.commuter_id) == (credential_id, commuter_id)
    assert result.claims.expires_at == NOW + timedelta(days=1)


def test_every_altered_character_breaks_the_credential(key: Ed25519PrivateKey) -> None:
    text = signed(key)
    prefix = len(credentials.PREFIX)
    for i in range(prefix, len(text)):
        replacement = "0" if text[i] != "0" else "1"
        altered = text[:i] + replacement + text[i + 1 :]
        result = credentials.verify_credential(altered, public_keys=keys_of(key), now=NOW)
        assert result.problem is not None, f"altering position {i} went unnoticed"


def test_signature_of_another_key_is_refused(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    text = signed(other)
    assert (
        credentials.verify_credential(text, public_keys=keys_of(key), now=NOW).problem is Reason.UNKNOWN_KEY
    )
    # A forger who claims our key id still fails the signature.
    presented = credentials.parse_payload(text)
    body = presented.body
    forged_body = body[:2] + bytes.fromhex(credentials.key_id(key.public_key())) + body[10:]
    forged = credentials.PREFIX + credentials.base45_encode(forged_body + presented.signature)
    assert (
        credentials.verify_credential(forged, public_keys=keys_of(key), now=NOW).problem
        is Reason.BAD_SIGNATURE
    )


def test_expiry_is_checked_against_the_given_time(key: Ed25519PrivateKey) -> None:
    text = signed(key, expires_at=NOW + timedelta(minutes=1))
    assert credentials.verify_credential(text, public_keys=keys_of(key), now=NOW).problem is None
    later = NOW + timedelta(minutes=1)
    assert credentials.verify_credential(text, public_keys=keys_of(key), now=later).problem is Reason.EXPIRED


@pytest.mark.parametrize(
    "text", ["", "hello", "https://example.org", "HC1:", "HC1:ABC", "HC1:" + "A" * 600, "HC1:" + "00" * 60]
)
def test_malformed_texts_are_reported_as_such(key: Ed25519PrivateKey, text: str) -> None:
    assert (
        credentials.verify_credential(text, public_keys=keys_of(key), now=NOW).problem is Reason.MALFORMED_QR
    )


def test_credential_fits_a_small_qr_that_zxing_reads_back(key: Ed25519PrivateKey) -> None:
    text = signed(key)
    assert qr.qr_version(text) <= 10
    image = images.decode_image(qr.render_qr_png(text), max_pixels=10_000_000)
    assert qr.decode_qr_texts(image) == [text]
