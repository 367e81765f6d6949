"""Figures as people read them: rounded half up (四捨五入), never half to even.

Python's ``round()`` and the formatting of a ``Decimal`` round a half to the even neighbour
(``round(2.5) == 2``, ``f"{Decimal('0.125'):.2f}" == "0.12"``), while a reader in Japan — and
every label that says 四捨五入 — expects a half to go up (2.5 → 3, 0.125 → 0.13). So every figure
the portal shows or exports (KPI values, percentages, averages, report tables and charts, CSV
cells) is rounded here, with ``decimal.ROUND_HALF_UP``. A half of a negative number goes away from
zero (-2.5 → -3), as 四捨五入 of the absolute value does.

A float is read through its shortest repr: 4.45 is ``Decimal("4.45")`` (what the person typed
or the average the database returned), not the binary 4.4500000000000001776…, so 4.45 → 4.5.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Number = int | float | Decimal


def to_decimal(value: Number | str | None) -> Decimal | None:
    """``value`` as an exact Decimal (floats through their repr); None for None, "" or NaN."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value))
        except InvalidOperation:
            return None
    return None if number.is_nan() or number.is_infinite() else number


def half_up(value: Number | str | None, places: int = 0) -> Decimal | None:
    """``value`` rounded half up to ``places`` decimals (a Decimal with exactly that many).

    ``half_up(2.5) == Decimal("3")``, ``half_up(4.45, 1) == Decimal("4.5")``; None stays None.
    """
    number = to_decimal(value)
    if number is None:
        return None
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent(part: Number, whole: Number, places: int = 1) -> Decimal | None:
    """``part`` as a percentage of ``whole``, rounded half up (None when ``whole`` is 0).

    ``percent(1, 8) == Decimal("12.5")``; ``percent(1, 3) == Decimal("33.3")``.
    """
    numerator, denominator = to_decimal(part), to_decimal(whole)
    if numerator is None or not denominator:
        return None
    return half_up(numerator * 100 / denominator, places)


def figure_text(value: Number | str | None, places: int = 0, *, trim: bool = False) -> str:
    """``value`` rounded half up to ``places`` decimals, with thousands separators.

    ``figure_text(1234.5) == "1,235"``; ``figure_text(0.125, 2) == "0.13"``; with ``trim`` the
    zeros after the point go (``figure_text(4.0, 2, trim=True) == "4"``). None gives "".
    """
    rounded = half_up(value, places)
    if rounded is None:
        return ""
    text = f"{rounded:,f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text
