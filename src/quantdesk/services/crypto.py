"""Keys derived from the app secret, and a Fernet box for secrets kept at rest.

One configured secret feeds several uses (token signing, encryption at rest). HKDF derives a
separate key for each purpose, so a key leaked from one use says nothing about the others.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from quantdesk.errors import ConfigurationError

KEY_LENGTH = 32


def derive_key(secret_key: str, purpose: str) -> bytes:
    """Derive a 32-byte key for one purpose from the app secret.

    Args:
        secret_key: The application secret (``QUANTDESK_SECRET_KEY`` or the generated one).
        purpose: A short label such as ``"jwt"`` or ``"fernet"``; each label gives a new key.

    Returns:
        Raw key bytes; the same secret and purpose always give the same key.
    """
    if not secret_key:
        raise ConfigurationError(
            "QUANTDESK_SECRET_KEY is empty; set it or let QuantDesk generate one"
        )
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_LENGTH,
        salt=None,
        info=f"quantdesk:{purpose}".encode(),
    )
    return hkdf.derive(secret_key.encode())


class SecretBox:
    """Encrypt and decrypt secrets (broker credentials, API keys) for storage.

    The Fernet key comes from the app secret, so rotating ``QUANTDESK_SECRET_KEY`` makes
    stored secrets unreadable: they must then be entered again.

    Example:
        >>> box = SecretBox("a-long-application-secret-of-32-chars-or-more")
        >>> box.decrypt(box.encrypt("api-key"))
        'api-key'
    """

    __slots__ = ("_fernet",)

    def __init__(self, secret_key: str) -> None:
        key = base64.urlsafe_b64encode(derive_key(secret_key, "fernet"))
        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str | bytes) -> bytes:
        """Encrypt and authenticate a secret; text is encoded as UTF-8."""
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> str:
        """Return the secret as text, refusing data that was altered or made with another key."""
        try:
            return self._fernet.decrypt(token).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise ConfigurationError(
                "A stored secret cannot be decrypted: QUANTDESK_SECRET_KEY changed since it "
                "was saved or the data is damaged; restore the old key or enter the secret again"
            ) from None

    def __repr__(self) -> str:
        return "SecretBox(key='**********')"
