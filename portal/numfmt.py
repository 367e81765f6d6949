"""A number in a spreadsheet cell, as Excel shows it under the cell's number format.

A workbook stores 7 and a format "0000"; the person sees 0007. Reading the stored number would
drop the zeros of a reference number, turn 15% into 0.15 and 1,200 yen into 1200 without the
person ever having seen those. So a number is rendered through its format, and a format this
module cannot render exactly (fractions, exponents, conditions, kanji numerals, a date format
openpyxl did not recognise) answers None: the reader refuses that cell rather than guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
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


# Japanese Excel writes these built-in ids without a format definition in the file (ECMA-376
# Part 1, 18.8.30, ja-JP): they are dates whatever the stored serial looks like. 32 and 33 are
# times of day. openpyxl knows only the locale-independent built-ins, so without this table a
# 2027年4月15日 cell read as the serial 46492.
JA_BUILTIN_FORMATS = {
    27: "[$-411]ge.m.d",
    28: '[$-411]ggge"年"m"月"d"日"',
    29: '[$-411]ggge"年"m"月"d"日"',
    30: "m/d/yy",
    31: 'yyyy"年"m"月"d"日"',
    32: 'h"時"mm"分"',
    33: 'h"時"mm"分"ss"秒"',
    34: 'yyyy"年"m"月"',
    35: 'm"月"d"日"',
    36: "[$-411]ge.m.d",
    50: "[$-411]ge.m.d",
    51: '[$-411]ggge"年"m"月"d"日"',
    52: 'yyyy"年"m"月"',
    53: 'm"月"d"日"',
    54: '[$-411]ggge"年"m"月"d"日"',
    55: 'yyyy"年"m"月"',
    56: 'm"月"d"日"',
    57: "[$-411]ge.m.d",
    58: '[$-411]ggge"年"m"月"d"日"',
}
JA_TIME_FORMAT_IDS = {32, 33}

# Japanese eras as Excel's g/gg/ggg and e show them: (first day, g, gg, ggg).
_ERAS: list[tuple[dt.date, str, str, str]] = [
    (dt.date(2019, 5, 1), "R", "令", "令和"),
    (dt.date(1989, 1, 8), "H", "平", "平成"),
    (dt.date(1926, 12, 25), "S", "昭", "昭和"),
    (dt.date(1912, 7, 30), "T", "大", "大正"),
    (dt.date(1868, 1, 25), "M", "明", "明治"),
]
_QUOTED = re.compile(r'"[^"]*"|\\.')
_WEEKDAYS_JA = "月火水木金土日"
_DATE_TOKEN = re.compile(r"yyyy|yy|e+|g{1,3}|m{1,5}|d{1,4}|a{3,4}", re.I)


def _literal_at(fmt: str, index: int) -> tuple[str, int] | None:
    """(the literal text, the index after it) for a quoted string or a backslash escape at
    `index`, else None. An unclosed quote runs to the end, as Excel reads it."""
    if fmt[index] == '"':
        end = fmt.find('"', index + 1)
        end = len(fmt) if end < 0 else end
        return fmt[index + 1 : end], end + 1
    if fmt[index] == "\\" and index + 1 < len(fmt):
        return fmt[index + 1], index + 2
    return None


def _render(section: str, piece_at: Callable[[str, int], tuple[str, int] | None]) -> str | None:
    """A format section as shown: literals as written, every other piece by `piece_at`
    ((text, next index), or None when the piece cannot be rendered exactly)."""
    shown, index = "", 0
    while index < len(section):
        piece = _literal_at(section, index) or piece_at(section, index)
        if piece is None:
            return None
        shown, index = shown + piece[0], piece[1]
    return shown


def date_shown(day: dt.date, number_format: str) -> str | None:
    """The text Excel displays for the date `day` under a date format, or None when unsure
    (a time part, conditions, sections, an unknown letter)."""
    fmt = (number_format or "").strip()
    if not fmt or len(_split_sections(fmt)) > 1:
        return None

    def piece_at(section: str, index: int) -> tuple[str, int] | None:
        char = section[index]
        if char == "[":
            match = _BRACKET.match(section, index)
            # Only a locale ([$-411], [$-ja-JP]) or a colour: neither changes the date's text.
            if match is None or not (match[1].startswith("$-") or _COLOUR.match(match[1])):
                return None
            return "", match.end()
        token = _DATE_TOKEN.match(section, index)
        if token is not None:
            text = _date_token(day, token.group().lower())
            return None if text is None else (text, token.end())
        if char.isascii() and char.isalpha():
            return None  # h, s, AM/PM, b (Buddhist year)…: not a plain date
        return char, index + 1

    return _render(fmt, piece_at)


def _date_token(day: dt.date, code: str) -> str | None:
    era = next((era for era in _ERAS if day >= era[0]), None)
    if code[0] in "ge":
        if era is None:
            return None
        start, *names = era
        if code[0] == "g":
            return names[len(code) - 1]
        year = day.year - start.year + 1
        return f"{year:02d}" if len(code) > 1 else str(year)
    if code == "yyyy":
        return f"{day.year:04d}"
    if code == "yy":
        return f"{day.year % 100:02d}"
    if code[0] == "m":
        if len(code) > 2:
            return None  # month names: English in Excel, not worth guessing the locale
        return f"{day.month:0{len(code)}d}"
    if code[0] == "d":
        if len(code) > 2:
            return None
        return f"{day.day:0{len(code)}d}"
    weekday = _WEEKDAYS_JA[day.weekday()]
    return weekday if code == "aaa" else weekday + "曜日"


def text_shown(text: str, number_format: str) -> str | None:
    """The text Excel displays for a text cell: the format's text section (the fourth, or the
    only section with @) with @ replaced by the text; None when a section cannot be read."""
    sections = _split_sections((number_format or "").strip())
    if len(sections) >= 4:
        section = sections[3]
    else:
        with_text = [s for s in sections if "@" in _QUOTED.sub("", s)]
        if not with_text:
            return text  # no text section: Excel shows the text as typed
        section = with_text[0]
    if section.strip() == "@":
        return text

    def piece_at(section: str, index: int) -> tuple[str, int] | None:
        char = section[index]
        if char == "@":
            return text, index + 1
        if char in "_*":
            return (" " if char == "_" else ""), index + 2
        if char == "[":
            match = _BRACKET.match(section, index)
            if match is None or not (_COLOUR.match(match[1]) or match[1].startswith("$")):
                return None
            return (match[1][1:].split("-")[0] if match[1][0] == "$" else ""), match.end()
        if char.isascii() and (char.isalnum() or char in "?#%"):
            return None  # a placeholder a text cannot fill
        return char, index + 1

    return _render(section, piece_at)
