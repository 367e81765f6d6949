"""Invisible characters never make a second identifier (issue #15, newcomer probe): a ref, a name
or a username that looks the same as a known one, with a U+200B, U+2060, U+FEFF or U+00AD
(Unicode category Cf) inside, is the known one at every boundary."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command

from issues.models import Issue
from partners.models import Organization, Resource
from portal.identifiers import (
    checkin_code_key,
    organization_name_key,
    reference_key,
    search_text,
    search_words,
    username_key,
)
from tests.issues.factories import IssueFactory
from tests.issues.test_identifiers import _import as issues_import
from tests.partners.factories import OrganizationFactory
from tests.partners.test_import_export import ROW_1, csv_text
from tests.portal.factories import DEFAULT_PASSWORD, UserFactory

INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u202e"]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_every_key_ignores_invisible_characters(mark):
    assert reference_key(f"13101-2023{mark}-0001{mark}") == "13101-2023-0001"
    assert organization_name_key(f"{mark}株式会社青葉{mark}") == organization_name_key(
        "株式会社青葉"
    )
    assert username_key(f"coordinator3{mark}") == "coordinator3"
    assert checkin_code_key(f"AB{mark}CD") == "ABCD"
    assert search_words(f"カラ{mark}ス") == ["カラス"]
    assert search_text(f"ゴミ集積所のカラ{mark}ス被害") == "ゴミ集積所のカラス被害"


def test_an_import_ref_with_a_zero_width_space_updates_the_issue(db, tmp_path):
    issue = IssueFactory(ref="13101-2023-0001", urgency=2)
    issues_import(
        tmp_path, "13101-2023-0001\u200b,見守りの強化,高齢者の見守り。,千代田区,高齢者支援,5\r\n"
    )
    assert Issue.objects.count() == 1
    issue.refresh_from_db()
    assert (issue.title, issue.urgency, issue.ref) == ("見守りの強化", 5, "13101-2023-0001")


@pytest.mark.django_db
def test_a_registry_import_naming_an_organisation_with_a_zero_width_space_joins_it(tmp_path):
    existing = OrganizationFactory(
        name="株式会社みなとデジタルソリューションズ", corporate_number=""
    )
    row = ROW_1.replace("株式会社みなとデジタル", "株式会社みなと\u200bデジタル").replace(
        "1180301018771", ""
    )
    path = tmp_path / "r.csv"
    path.write_bytes(csv_text(row).encode("utf-8"))
    call_command("import_resources", str(path))
    assert Organization.objects.get() == existing
    assert Resource.objects.get().organization == existing


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_a_username_pasted_with_an_invisible_character_signs_in(client, url):
    UserFactory(username="coordinator3", role="coordinator", is_staff=True)
    response = client.post(
        url, {"username": "\ufeffcoordinator3\u200b", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_username_with_an_invisible_character_counts_against_the_account(client):
    UserFactory(username="coordinator3", role="coordinator")
    client.post("/login/", {"username": "coordinator3\u2060", "password": "wrong"})
    client.post("/login/", {"username": "coordinator3", "password": "wrong"})
    assert AccessAttempt.objects.get().username == "coordinator3"
    assert AccessAttempt.objects.get().failures_since_start == 2
