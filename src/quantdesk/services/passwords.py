"""Password rules and Argon2 hashing.

Hashing is deliberately slow, so it runs in a worker thread and never stalls the event loop.
"""

from __future__ import annotations

import asyncio
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from quantdesk.errors import ValidationError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane): about 20 ms a hash on one core, so a
# login burst queues for fractions of a second rather than seconds. Older hashes are upgraded
# on the next successful login.
_hasher = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1),))


def check_password_rules(password: str, field: str = "password") -> None:
    """Reject a password that is too short to resist guessing or long enough to be abusive."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"{field} must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long; "
            "choose another password",
            details={"field": field},
        )


async def hash_password(password: str) -> str:
    """Hash a password with Argon2id and a fresh salt."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Check a password against its hash.

    Args:
        password: What the user typed.
        hashed: The stored hash, or None for an unknown account; a dummy hash is then
            checked so that the answer takes as long as for a real account.

    Returns:
        Whether it matches, and a new hash when the stored one uses outdated parameters.
    """
    if hashed is None:
        await asyncio.to_thread(_hasher.verify, password, _dummy_hash())
        return False, None
    return await asyncio.to_thread(_hasher.verify_and_update, password, hashed)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("quantdesk-unknown-account")
