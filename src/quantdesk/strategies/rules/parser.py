"""Parse a rule expression into the typed tree by recursive descent; nothing is evaluated.

Grammar, loosest binding first::

    expression  := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation    := "not" negation | comparison
    comparison  := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := "-" unary | primary
    primary     := NUMBER | PRICE | call ("." NAME)? | "(" expression ")"
    call        := NAME "(" (argument ("," argument)*)? ")"
    argument    := (NAME "=")? (expression | STRING)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import cast

from quantdesk.strategies.rules.calls import Argument, build_call
from quantdesk.strategies.rules.errors import RuleError
from quantdesk.strategies.rules.lexer import Token, tokenize
from quantdesk.strategies.rules.nodes import (
    PRICE_FIELDS,
    Arithmetic,
    ArithmeticOperator,
    Comparison,
    ComparisonOperator,
    Kind,
    Logical,
    Negative,
    Node,
    Not,
    Number,
    Price,
    kind_of,
)

MAX_DEPTH = 24
MAX_NODES = 200
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
KIND_NAMES = {"number": "a number", "condition": "a condition (true/false)"}


@lru_cache(maxsize=512)
def parse(text: str, kind: Kind = "condition") -> Node:
    """Parse ``text`` into a tree that gives ``kind``, or raise :class:`RuleError`.

    Example:
        >>> parse("rsi(14) < 30 and close > sma(200)").operator
        'and'
    """
    parser = _Parser(tokenize(text))
    node = parser.expression()
    if parser.current.kind != "end":
        raise RuleError(
            parser.current.column,
            f"unexpected {parser.current.describe()} after a complete expression; "
            "join conditions with 'and' or 'or'",
        )
    return require(node, kind, 1, "the expression")


def require(node: Node, kind: Kind, column: int, what: str) -> Node:
    """Return ``node`` if it gives ``kind``, else raise naming ``what`` needed it."""
    if kind_of(node) == kind:
        return node
    hint = "compare it, e.g. close > sma(200)" if kind == "condition" else "drop the comparison"
    raise RuleError(
        column, f"{what} must be {KIND_NAMES[kind]}, got {KIND_NAMES[kind_of(node)]}; {hint}"
    )


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.count = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, *texts: str) -> bool:
        token = self.current
        return token.kind in ("operator", "keyword") and token.text in texts

    def expect(self, text: str, context: str) -> Token:
        if not self.at(text):
            raise RuleError(
                self.current.column,
                f"expected {text!r} {context}, found {self.current.describe()}",
            )
        return self.advance()

    def node(self, node: Node, token: Token) -> Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise RuleError(token.column, f"expression has more than {MAX_NODES} parts; split it")
        return node

    @contextmanager
    def nested(self, token: Token) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleError(
                token.column, f"expression nested deeper than {MAX_DEPTH} levels; simplify it"
            )
        try:
            yield
        finally:
            self.depth -= 1

    def expression(self) -> Node:
        with self.nested(self.current):
            left = self.conjunction()
            while self.at("or"):
                token = self.advance()
                right = self.conjunction()
                left = self.node(Logical("or", *self.conditions(left, right, token)), token)
            return left

    def conjunction(self) -> Node:
        left = self.negation()
        while self.at("and"):
            token = self.advance()
            right = self.negation()
            left = self.node(Logical("and", *self.conditions(left, right, token)), token)
        return left

    def negation(self) -> Node:
        if not self.at("not"):
            return self.comparison()
        token = self.advance()
        with self.nested(token):
            operand = require(self.negation(), "condition", token.column, "the operand of 'not'")
        return self.node(Not(operand), token)

    def comparison(self) -> Node:
        left = self.sum()
        if not self.at(*COMPARISONS):
            return left
        token = self.advance()
        right = self.sum()
        if self.at(*COMPARISONS):
            raise RuleError(
                self.current.column,
                "comparisons do not chain; write a < b and b < c instead of a < b < c",
            )
        operator = cast(ComparisonOperator, token.text)
        return self.node(Comparison(operator, *self.numbers(left, right, token)), token)

    def sum(self) -> Node:
        left = self.product()
        while self.at("+", "-"):
            token = self.advance()
            right = self.product()
            operator: ArithmeticOperator = "+" if token.text == "+" else "-"
            left = self.node(Arithmetic(operator, *self.numbers(left, right, token)), token)
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.at("*", "/"):
            token = self.advance()
            right = self.unary()
            operator: ArithmeticOperator = "*" if token.text == "*" else "/"
            left = self.node(Arithmetic(operator, *self.numbers(left, right, token)), token)
        return left

    def unary(self) -> Node:
        if not self.at("-"):
            return self.primary()
        token = self.advance()
        with self.nested(token):
            operand = require(self.unary(), "number", token.column, "the operand of '-'")
        if isinstance(operand, Number):
            return Number(-operand.value)
        return self.node(Negative(operand), token)

    def primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            value = float(token.text)
            if not math.isfinite(value):
                raise RuleError(token.column, f"number {token.text} is too large")
            return self.node(Number(value), token)
        if self.at("("):
            self.advance()
            inner = self.expression()
            self.expect(")", f"to close the '(' at column {token.column}")
            return inner
        if token.kind == "name":
            return self.name()
        raise RuleError(
            token.column,
            "expected a number, a price field (open, high, low, close, volume), "
            f"an indicator call like sma(20) or '(', found {token.describe()}",
        )

    def name(self) -> Node:
        token = self.advance()
        if self.at("("):
            return self.node(self.call(token), token)
        if token.text in PRICE_FIELDS:
            return self.node(Price(token.text), token)
        raise RuleError(
            token.column,
            f"unknown name {token.text!r}; use a price field (open, high, low, close, volume) "
            f"or call an indicator or function with parentheses, e.g. {token.text}(14)",
        )

    def call(self, name: Token) -> Node:
        self.advance()
        arguments: list[Argument] = []
        if not self.at(")"):
            arguments.append(self.argument())
            while self.at(","):
                self.advance()
                arguments.append(self.argument())
        self.expect(")", f"after arguments of {name.text}")
        output = None
        if self.at("."):
            self.advance()
            if self.current.kind != "name":
                raise RuleError(
                    self.current.column, f"expected an output name after {name.text}(...)."
                )
            output = self.advance()
        return build_call(name, arguments, output)

    def argument(self) -> Argument:
        token = self.current
        keyword = None
        if token.kind == "name" and self.tokens[self.index + 1].text == "=":
            keyword = self.advance().text
            self.advance()
        start = self.current
        if start.kind == "string":
            return Argument(keyword, self.advance().text, start)
        return Argument(keyword, self.expression(), start)

    def conditions(self, left: Node, right: Node, token: Token) -> tuple[Node, Node]:
        what = f"each side of {token.text!r}"
        return (
            require(left, "condition", token.column, what),
            require(right, "condition", token.column, what),
        )

    def numbers(self, left: Node, right: Node, token: Token) -> tuple[Node, Node]:
        what = f"each side of {token.text!r}"
        return (
            require(left, "number", token.column, what),
            require(right, "number", token.column, what),
        )
