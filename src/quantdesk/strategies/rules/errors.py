"""The one error a rule raises: what is wrong, and at which column of the expression."""

from __future__ import annotations

from quantdesk.errors import ValidationError


class RuleError(ValidationError):
    """An expression that does not parse or does not type-check; the user must edit it."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}", details={"column": column})
        self.column = column
