"""Every model, imported here so that ``Base.metadata`` knows the whole schema."""

from quantdesk.db.models.user import RefreshToken, User, UserSettings

__all__ = ["RefreshToken", "User", "UserSettings"]
