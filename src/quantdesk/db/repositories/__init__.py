"""Repositories: every database query lives here, one module per area.

Repositories add and flush; they never commit. The unit of work around them does.
"""

from quantdesk.db.repositories.base import Paged
from quantdesk.db.repositories.refresh_tokens import RefreshTokenRepository
from quantdesk.db.repositories.users import UserRepository

__all__ = ["Paged", "RefreshTokenRepository", "UserRepository"]
