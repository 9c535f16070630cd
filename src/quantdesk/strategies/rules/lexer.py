"""Split a rule expression into tokens, each with the column it starts at (1-based)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from quantdesk.strategies.rules.errors import RuleError

MAX_LENGTH = 2_000
KEYWORDS = frozenset({"and", "or", "not"})
TokenKind = Literal["number", "name", "string", "keyword", "operator", "end"]

_PATTERN = re.compile(
    r"""(?P<space>\s+)
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<string>'[^'\\]*'|"[^"\\]*")
    |(?P<operator><=|>=|==|!=|[<>+\-*/(),.=])""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit: its kind, its text and the column it starts at."""

    kind: TokenKind
    text: str
    column: int

    def describe(self) -> str:
        """Return the token as error messages quote it."""
        return "the end of the expression" if self.kind == "end" else repr(self.text)


def tokenize(text: str) -> list[Token]:
    """Return the tokens of ``text`` followed by an end token.

    Example:
        >>> [token.text for token in tokenize("rsi(14) < 30")]
        ['rsi', '(', '14', ')', '<', '30', '']
    """
    if len(text) > MAX_LENGTH:
        raise RuleError(MAX_LENGTH + 1, f"expression longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _PATTERN.match(text, position)
        if match is None:
            raise RuleError(position + 1, f"unexpected character {text[position]!r}")
        kind = match.lastgroup
        if kind != "space":
            tokens.append(_token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _token(kind: str | None, text: str, column: int) -> Token:
    if kind == "name" and text in KEYWORDS:
        return Token("keyword", text, column)
    if kind == "string":
        return Token("string", text[1:-1], column)
    return Token(cast(TokenKind, kind), text, column)
