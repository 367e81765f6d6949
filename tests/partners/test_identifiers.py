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
def test_registration_finds_an_address_typed_in_full_width(client):
    UserFactory(username="hanako", email="Hanako@minato-digital.example.jp")
    response = client.post(
        REGISTER,
        form_data(contact_email="ｈａｎａｋｏ＠ｍｉｎａｔｏ－ｄｉｇｉｔａｌ．ｅｘａｍｐｌｅ．ｊｐ"),
    )
    assert "このメールアドレスはすでに登録されています" in response.content.decode()


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
