"""Encrypting secrets at rest and deriving per-purpose keys."""

from __future__ import annotations

import pytest

from quantdesk.errors import ConfigurationError
from quantdesk.services.crypto import SecretBox, derive_key

SECRET = "unit-test-secret-that-is-long-enough-0123456789"


@pytest.mark.parametrize("plaintext", ["ib-password", b"ib-password", "päss wörd ✓"])
def test_secret_box_round_trip_returns_text(plaintext: str | bytes) -> None:
    box = SecretBox(SECRET)
    expected = plaintext.decode() if isinstance(plaintext, bytes) else plaintext
    assert box.decrypt(box.encrypt(plaintext)) == expected


def test_secret_box_ciphertext_hides_plaintext_and_varies() -> None:
    box = SecretBox(SECRET)
    first, second = box.encrypt("ib-password"), box.encrypt("ib-password")
    assert b"ib-password" not in first
    assert first != second


def test_secret_box_same_secret_reads_earlier_data() -> None:
    stored = SecretBox(SECRET).encrypt("api-key")
    assert SecretBox(SECRET).decrypt(stored) == "api-key"


def test_secret_box_other_secret_cannot_decrypt() -> None:
    stored = SecretBox(SECRET).encrypt("api-key")
    with pytest.raises(ConfigurationError, match="QUANTDESK_SECRET_KEY changed") as caught:
        SecretBox(SECRET + "-rotated").decrypt(stored)
    assert SECRET not in str(caught.value)


def test_secret_box_tampered_data_rejected() -> None:
    box = SecretBox(SECRET)
    stored = bytearray(box.encrypt("api-key"))
    stored[-5] ^= 0x01
    with pytest.raises(ConfigurationError):
        box.decrypt(bytes(stored))


def test_secret_box_repr_never_shows_key() -> None:
    text = repr(SecretBox(SECRET)) + str(SecretBox(SECRET))
    assert SECRET not in text
    assert derive_key(SECRET, "fernet").hex() not in text
    assert "**" in text


def test_derive_key_deterministic_and_separate_per_purpose() -> None:
    assert derive_key(SECRET, "fernet") == derive_key(SECRET, "fernet")
    assert derive_key(SECRET, "fernet") != derive_key(SECRET, "jwt")
    assert derive_key(SECRET, "jwt") != derive_key(SECRET + "x", "jwt")
    assert len(derive_key(SECRET, "jwt")) == 32


def test_derive_key_empty_secret_refused() -> None:
    with pytest.raises(ConfigurationError, match="QUANTDESK_SECRET_KEY"):
        SecretBox("")
