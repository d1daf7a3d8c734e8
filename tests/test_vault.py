import pytest

from clearance.core import keyfiles, vault


@pytest.fixture
def key() -> vault.DataKey:
    return vault.DataKey(bytes(range(32)))


def test_sealed_data_opens_only_with_its_key_and_context(key: vault.DataKey) -> None:
    blob = vault.seal(key, b"template bytes", context=b"row-1")
    assert b"template bytes" not in blob
    assert vault.unseal(key, blob, context=b"row-1") == b"template bytes"
    with pytest.raises(vault.SealError):
        vault.unseal(key, blob, context=b"row-2")
    with pytest.raises(vault.SealError):
        vault.unseal(vault.DataKey(bytes(32)), blob, context=b"row-1")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(vault.SealError):
        vault.unseal(key, tampered, context=b"row-1")


def test_each_seal_uses_a_fresh_nonce(key: vault.DataKey) -> None:
    assert vault.seal(key, b"same", context=b"c") != vault.seal(key, b"same", context=b"c")


def test_data_key_file_is_made_once_and_private(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "keys" / "data.key"
    with pytest.raises(FileNotFoundError):
        keyfiles.load_or_create_data_key(path, create=False)
    first = keyfiles.load_or_create_data_key(path, create=True)
    assert keyfiles.load_or_create_data_key(path, create=False) == first
    assert path.stat().st_mode & 0o077 == 0
