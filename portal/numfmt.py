"""A number in a spreadsheet cell, as Excel shows it under the cell's number format.

A workbook stores 7 and a format "0000"; the person sees 0007. Reading the stored number would
drop the zeros of a reference number, turn 15% into 0.15 and 1,200 yen into 1200 without the
person ever having seen those. So a number is rendered through its format, and a format this
module cannot render exactly (fractions, exponents, conditions, kanji numerals, a date format
openpyxl did not recognise) answers None: the reader refuses that cell rather than guess.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

# [Red], [Color12], [$-411] (a locale) change nothing in the digits; [$¥-411] shows "¥".
_BRACKET = re.compile(r"\[([^\]]*)\]")
_COLOUR = re.compile(r"^(?:black|blue|cyan|green|magenta|red|white|yellow|color\d+)$", re.I)
# Digit placeholders with grouping commas, one optional decimal part and one optional percent.
_NUMBER = re.compile(r"^(?P<int>[#0,]*0[#0,]*|[#,]+)(?:\.(?P<dec>[0#]*))?$")
GENERAL_FORMATS = {"", "general", "@"}


def number_shown(value: int | float, number_format: str) -> str | None:
    """The text Excel displays for `value` under `number_format`, or None when unsure."""
    fmt = (number_format or "").strip()
    if fmt.lower() in GENERAL_FORMATS:
        return _general(value)
    sections = _split_sections(fmt)
    if len(sections) > 1 and value < 0:
        # The negative section carries its own sign (or brackets), so the digits are unsigned.
        section, value, sign = sections[1], -value, ""
    elif len(sections) > 1 and value == 0 and len(sections) > 2:
        section, sign = sections[2], ""
    else:
        section, sign = sections[0], "-" if value < 0 else ""
        value = abs(value)
    parsed = _section_parse(section)
    if parsed is None:
        return None
    prefix, pattern, suffix = parsed
    if pattern.lower() == "general":
        return sign + prefix + _general(value) + suffix
    return _digits(value, pattern, prefix, suffix, sign)


def _general(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        # Excel keeps 15 significant digits: 0.1+0.2 is shown as 0.3, not 0.30000000000000004.
        return format(value, ".15g").upper()
    return str(value)


def _split_sections(fmt: str) -> list[str]:
    sections, current, quoted = [], "", False
    for char in fmt:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += char
    sections.append(current)
    return sections


def _section_parse(section: str) -> tuple[str, str, str] | None:
    """(literal text before, the digit pattern, literal text after), or None if not plain."""
    prefix, pattern, suffix = "", "", ""
    index = 0
    while index < len(section):
        char = section[index]
        literal = None
        if char == '"':
            end = section.find('"', index + 1)
            if end < 0:
                return None
            literal, index = section[index + 1 : end], end + 1
        elif char == "\\" and index + 1 < len(section):
            literal, index = section[index + 1], index + 2
        elif char == "[":
            match = _BRACKET.match(section, index)
            if match is None:
                return None
            inner = match.group(1)
            if _COLOUR.match(inner):
                literal = ""
            elif inner.startswith("$"):
                literal = inner[1:].split("-")[0]
            else:
                return None  # a condition such as [>100] or [DBNum1] (kanji numerals)
            index = match.end()
        elif char in "_*":
            literal, index = "" if char == "*" else " ", index + 2  # padding / fill
        elif char in "0#.,%" or (char.lower() == "g" and section[index:].lower() == "general"):
            if suffix:
                return None  # digits after literal text: not one plain number
            take = len("general") if char.lower() == "g" else 1
            pattern += section[index : index + take]
            index += take
            continue
        elif char.isalpha() or char in "?/E":
            return None  # dates the reader did not recognise, fractions, exponents, text @
        else:
            literal, index = char, index + 1
        if pattern:
            suffix += literal
        else:
            prefix += literal
    return prefix, pattern, suffix


def _digits(value: int | float, pattern: str, prefix: str, suffix: str, sign: str) -> str | None:
    percents = pattern.count("%")
    core = pattern.replace("%", "")
    match = _NUMBER.match(core)
    if match is None or core.endswith(","):
        return None  # a trailing comma scales by 1000: rare, and not worth guessing
    int_part, dec_part = match["int"], match["dec"] or ""
    number = Decimal(repr(value)) * (Decimal(100) ** percents)
    shown_decimals = len(dec_part)
    rounded = number.quantize(Decimal(1).scaleb(-shown_decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    whole, _dot, fraction = text.partition(".")
    required = len(dec_part.rstrip("#"))
    fraction = fraction.rstrip("0").ljust(required, "0") if shown_decimals else ""
    whole = whole.lstrip("0").rjust(int_part.count("0"), "0")
    if "," in int_part:
        whole = f"{int(whole or 0):,}".rjust(len(whole), "0") if whole else whole
    body = whole + ("." + fraction if fraction or dec_part.startswith("0") else "")
    return sign + prefix + body + "%" * percents + suffix
