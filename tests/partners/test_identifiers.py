"""Resource refs, 法人番号 and e-mail addresses compare after normalisation (issue #15 item 3)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from partners.models import Organization, Resource
from partners.selectors import duplicate_candidates
from portal.identifiers import keys_fill
from tests.partners.factories import OrganizationFactory, ResourceFactory
from tests.partners.test_import_export import ROW_1, csv_text
from tests.partners.test_registration import REGISTER, form_data
from tests.portal.factories import UserFactory


@pytest.mark.django_db
def test_an_import_row_with_another_spelling_of_a_ref_updates_the_resource(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(csv_text(ROW_1).encode("utf-8"))
    call_command("import_resources", str(path))
    path.write_bytes(
        csv_text(ROW_1.replace("R-001", "ｒ－００１").replace("3,2026", "7,2026")).encode("utf-8")
    )
    call_command("import_resources", str(path))
    resource = Resource.objects.get()
    assert resource.ref == "R-001" and resource.capacity == 7


@pytest.mark.django_db
def test_registration_finds_an_address_typed_in_full_width(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    UserFactory(username="hanako", email="Hanako@minato-digital.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            REGISTER,
            form_data(
                contact_email="ｈａｎａｋｏ＠ｍｉｎａｔｏ－ｄｉｇｉｔａｌ．ｅｘａｍｐｌｅ．ｊｐ"
            ),
        )
    # Known: nothing created, its holder told how to sign in.
    assert not Organization.objects.exists()
    assert "既にログインID「hanako」" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_registration_with_a_hyphenated_corporate_number_is_a_duplicate_at_review(client):
    existing = OrganizationFactory(name="株式会社みなと", corporate_number="1180301018771")
    response = client.post(REGISTER, form_data(corporate_number="１－１８０３－０１０１－８７７１"))
    assert response.status_code == 302
    registered = Organization.objects.exclude(pk=existing.pk).get()
    assert registered.corporate_number == "1180301018771"
    assert list(duplicate_candidates(registered)) == [existing]


@pytest.mark.django_db
def test_the_admin_stores_one_spelling_of_a_corporate_number():
    org = OrganizationFactory.build(corporate_number="１１８０３０１０１８７７１")
    org.clean()
    assert org.corporate_number == "1180301018771"


@pytest.mark.django_db
def test_the_data_migration_fills_resource_keys():
    resource = ResourceFactory(ref="r-9")
    Resource.objects.filter(pk=resource.pk).update(ref_key="")
    assert keys_fill(Resource) == []
    assert Resource.objects.get().ref_key == "R-9"


@pytest.mark.parametrize(
    "typed",
    [
        "(株)城南テック",
        "㈱城南テック",
        "（株）　城南テック",
        "株式会社 城南テック",
        "株式会社城南ﾃｯｸ",
    ],
)
def test_spellings_of_one_organisation_name_share_one_key(typed):
    from portal.identifiers import organization_name_key

    assert organization_name_key(typed) == organization_name_key("株式会社城南テック")
    # 後株 is another name than 前株: the form stays where it was written.
    assert organization_name_key("城南テック株式会社") != organization_name_key(typed)


@pytest.mark.django_db
def test_the_duplicate_check_finds_a_name_typed_another_way():
    existing = OrganizationFactory(name="株式会社 城南テック", corporate_number="")
    registered = OrganizationFactory(name="㈱城南テック", corporate_number="")
    unrelated = OrganizationFactory(name="城南テック株式会社", corporate_number="")
    assert list(duplicate_candidates(registered)) == [existing]
    assert unrelated not in duplicate_candidates(existing)


@pytest.mark.django_db
def test_an_import_row_naming_a_known_organisation_another_way_joins_it(tmp_path):
    existing = OrganizationFactory(
        name="株式会社みなとデジタルソリューションズ", corporate_number=""
    )
    path = tmp_path / "r.csv"
    row = ROW_1.replace("株式会社みなとデジタル", "（株）ミナトデジタル").replace(
        "1180301018771", ""
    )
    path.write_bytes(csv_text(row.replace("ミナトデジタル", "みなとデジタル")).encode("utf-8"))
    call_command("import_resources", str(path))
    assert Organization.objects.get() == existing
    assert Resource.objects.get().organization == existing


@pytest.mark.django_db
def test_the_data_migration_fills_name_keys_repeats_included():
    first = OrganizationFactory(name="(株)青葉")
    second = OrganizationFactory(name="株式会社青葉")
    Organization.objects.update(name_key="")
    assert keys_fill(Organization, field="name_key") == []
    assert set(Organization.objects.values_list("name_key", flat=True)) == {"株式会社青葉"}
    assert {first.pk, second.pk} == set(Organization.objects.values_list("pk", flat=True))
