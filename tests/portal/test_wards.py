from portal.models import Ward
from portal.selectors import ward_by_code_or_name


def test_all_23_wards_are_loaded_with_codes(db):
    wards = list(Ward.objects.order_by("code"))
    assert len(wards) == 23
    assert (wards[0].code, wards[0].code_with_check_digit, wards[0].name_ja) == (
        "13101",
        "131016",
        "千代田区",
    )
    assert wards[-1].name_en == "Edogawa"


def test_ward_is_found_by_code_name_or_english(db):
    assert ward_by_code_or_name("13112").name_ja == "世田谷区"
    assert ward_by_code_or_name("131121").name_ja == "世田谷区"
    assert ward_by_code_or_name("世田谷区").code == "13112"
    assert ward_by_code_or_name("世田谷").code == "13112"
    assert ward_by_code_or_name("setagaya").code == "13112"
    assert ward_by_code_or_name("横浜市") is None
    assert ward_by_code_or_name("") is None
