import pytest
from django.core.exceptions import ValidationError

from partners.validators import (
    corporate_number_check_digit,
    postal_code_normalize,
    validate_corporate_number,
    validate_postal_code,
)


@pytest.mark.parametrize(
    "number",
    [
        "7000012050002",  # 国税庁 (the National Tax Agency's own published number)
        "1180301018771",  # トヨタ自動車株式会社
        "４０１０４０１０２２８６０",  # full-width digits are accepted
        "7-0000-1205-0002",
    ],
)
def test_published_corporate_numbers_pass(number):
    validate_corporate_number(number)


def test_check_digit_rule():
    # P1..P12 from the right, weights 1,2,1,2…: 国税庁 000012050002 → 9 − (11 mod 9) = 7
    assert corporate_number_check_digit("000012050002") == 7
    assert corporate_number_check_digit("180301018771") == 1


@pytest.mark.parametrize("number", ["8000012050002", "1180301018772", "118030101877", "abc", ""])
def test_wrong_corporate_numbers_fail(number):
    with pytest.raises(ValidationError):
        validate_corporate_number(number)


@pytest.mark.parametrize("value", ["100-0001", "１００－０００１", "1000001", "〒100-0001"])
def test_postal_codes(value):
    validate_postal_code(value)
    assert postal_code_normalize(value) == "100-0001"


@pytest.mark.parametrize("value", ["100-001", "1000-001", "abc-defg", "100 0001x"])
def test_bad_postal_codes(value):
    with pytest.raises(ValidationError):
        validate_postal_code(value)
