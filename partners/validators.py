"""Checks for Japanese identifiers: 法人番号 (corporate number) and 郵便番号 (postal code)."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.identifiers import corporate_number_key

POSTAL_CODE_RE = re.compile(r"^\d{3}-\d{4}$")


def corporate_number_check_digit(base: str) -> int:
    """The National Tax Agency rule for the leading check digit of a 13-digit 法人番号.

    For the 12 base digits P1..P12 counted from the lowest (rightmost) digit, with weights
    Q = 1 for odd n and 2 for even n: check = 9 − (Σ Pn·Qn mod 9).
    """
    if len(base) != 12 or not base.isdigit():
        raise ValueError("base must be 12 digits")
    total = 0
    for n, char in enumerate(reversed(base), start=1):
        total += int(char) * (1 if n % 2 else 2)
    return 9 - (total % 9)


def corporate_number_normalize(value: str) -> str:
    """Full-width digits, spaces and hyphens are accepted and removed (portal.identifiers)."""
    return corporate_number_key(value)


def validate_corporate_number(value: str) -> None:
    number = corporate_number_normalize(value)
    if not (len(number) == 13 and number.isdigit()):
        raise ValidationError(
            _("法人番号は13桁の数字で入力してください。"), code="corporate_number_format"
        )
    if int(number[0]) != corporate_number_check_digit(number[1:]):
        raise ValidationError(
            _("法人番号のチェックディジットが正しくありません。番号をご確認ください。"),
            code="corporate_number_check_digit",
        )


def postal_code_normalize(value: str) -> str:
    value = unicodedata.normalize("NFKC", value or "").strip().replace("〒", "").strip()
    value = value.replace("ー", "-").replace("−", "-").replace("‐", "-")
    if re.fullmatch(r"\d{7}", value):
        value = f"{value[:3]}-{value[3:]}"
    return value


def validate_postal_code(value: str) -> None:
    if not POSTAL_CODE_RE.match(postal_code_normalize(value)):
        raise ValidationError(
            _("郵便番号は「123-4567」の形式で入力してください。"), code="postal_code"
        )
