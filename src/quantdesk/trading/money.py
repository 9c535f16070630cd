"""Exact money: every price, quantity, cash and fee in ``quantdesk.trading`` is a ``Decimal``.

Floats enter only at the boundary (bar prices, engine fill prices) and go through
:func:`as_decimal`, which keeps the float's shortest round-trip text (``0.1`` stays
``Decimal("0.1")``, not its binary expansion). Derived values that divide (average prices)
are rounded to :data:`SCALE`, the ten decimal places of the ``NUMERIC(28, 10)`` columns, so
what the library computes is what the database stores.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from quantdesk.errors import ValidationError

SCALE = Decimal("1e-10")
ZERO = Decimal(0)
ONE = Decimal(1)


def as_decimal(value: Decimal | float | int | str, field: str = "value") -> Decimal:
    """Return ``value`` as a finite ``Decimal``, converting floats through their text.

    Example: ``as_decimal(100.1) == Decimal("100.1")``.
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool):
        raise ValidationError(f"{field} must be a number, got {value!r}")
    elif isinstance(value, float):
        number = Decimal(repr(float(value)))
    else:
        try:
            number = Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError(f"{field} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValidationError(f"{field} must be a finite number, got {value!r}")
    return number


def quantize(value: Decimal) -> Decimal:
    """Round ``value`` half-even to :data:`SCALE`, the precision the database keeps."""
    return value.quantize(SCALE, rounding=ROUND_HALF_EVEN)
