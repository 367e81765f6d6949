"""Partner self-service: own organisation only (404 for another's), profile, contacts, resources."""

import pytest
from django.urls import reverse

from partners.models import ContactPerson, OrgStatus, Resource
from tests.partners.factories import ContactPersonFactory, ResourceFactory, partner_user
from tests.portal.factories import ward


def resource_data(**overrides):
    data = {
        "kind": "students",
        "title": "学生による地域調査プログラム",
        "description": "ゼミの学生が地域の商店街を調査し、活性化策を提案します。",
        "serves_all_wards": "on",
        "capacity": "2",
        "capacity_note": "学生10名まで",
        "available_from": "2026-04-01",
        "available_until": "2026-07-31",
        "academic_term": "前期",
        "conditions": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_partner_cannot_reach_another_organisations_data(client, partner_a, org_b):
    own = ResourceFactory(organization=partner_a.membership.organization)
    theirs = ResourceFactory(organization=org_b, title="城北大学の研究シーズ")
    their_contact = ContactPersonFactory(organization=org_b)
    client.force_login(partner_a)
    for name in ("resource_detail", "resource_edit"):
        assert client.get(reverse(f"partners:{name}", args=[theirs.pk])).status_code == 404
        assert client.get(reverse(f"partners:{name}", args=[own.pk])).status_code == 200
    assert (
        client.post(
            reverse("partners:resource_edit", args=[theirs.pk]), resource_data()
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("partners:resource_status", args=[theirs.pk]), {"status": "retired"}
        ).status_code
        == 404
    )
    assert client.get(reverse("partners:contact_edit", args=[their_contact.pk])).status_code == 404
    assert (
        client.post(reverse("partners:contact_delete", args=[their_contact.pk])).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == "active" and theirs.title == "城北大学の研究シーズ"
    assert ContactPerson.objects.filter(pk=their_contact.pk).exists()
    listing = client.get(reverse("partners:my_resources")).content.decode()
    assert own.title in listing and "城北大学の研究シーズ" not in listing
    # Staff screens are closed to partners.
    assert client.get(reverse("partners:registry")).status_code == 403
    assert client.get(reverse("partners:org_detail", args=[org_b.pk])).status_code == 403
    assert client.get(reverse("partners:export", args=["csv"])).status_code == 403


@pytest.mark.django_db
def test_partner_screens_require_a_partner(client, coordinator):
    assert client.get(reverse("partners:my_org")).status_code == 302  # to login
    client.force_login(coordinator)
    assert client.get(reverse("partners:my_org")).status_code == 403


@pytest.mark.django_db
def test_resource_create_pause_retire_and_history(client, partner_a):
    client.force_login(partner_a)
    response = client.post(reverse("partners:resource_create"), resource_data())
    assert response.status_code == 302
    resource = Resource.objects.get(title="学生による地域調査プログラム")
    assert resource.organization == partner_a.membership.organization
    assert resource.serves_all_wards and resource.academic_term == "前期"
    status_url = reverse("partners:resource_status", args=[resource.pk])
    client.post(status_url, {"status": "paused"})
    resource.refresh_from_db()
    assert resource.status == "paused"
    client.post(status_url, {"status": "retired"})
    resource.refresh_from_db()
    assert resource.status == "retired"
    assert list(resource.history.values_list("status", flat=True)) == [
        "retired",
        "paused",
        "active",
    ]
    assert resource.history.first().history_user == partner_a
    page = client.get(reverse("partners:resource_detail", args=[resource.pk])).content.decode()
    assert "一時停止" in page and "終了" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"description": "  "}, "リソースの内容を入力してください"),
        ({"capacity": "-1"}, "1〜999の整数"),
        # Issue #15: 0 was saved and listed as 提供中; stopping is the 一時停止 status.
        ({"capacity": "0"}, "状態を「一時停止」に"),
        ({"capacity": "1000"}, "1〜999の整数"),
        ({"available_from": "2026-08-01", "available_until": "2026-07-31"}, "提供開始日以降"),
        ({"serves_all_wards": ""}, "対象区を1つ以上"),
        ({"kind": "weapons"}, "正しく選択"),
    ],
)
def test_resource_bad_input_changes_nothing(client, partner_a, overrides, message):
    client.force_login(partner_a)
    response = client.post(reverse("partners:resource_create"), resource_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Resource.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("capacity", ["1", "999"])
def test_resource_capacity_bounds_are_accepted(client, partner_a, capacity):
    client.force_login(partner_a)
    response = client.post(reverse("partners:resource_create"), resource_data(capacity=capacity))
    assert response.status_code == 302
    assert Resource.objects.get().capacity == int(capacity)


@pytest.mark.django_db
def test_profile_edit_with_selected_wards_and_motives(client, partner_a):
    client.force_login(partner_a)
    org = partner_a.membership.organization
    response = client.post(
        reverse("partners:my_profile"),
        {
            "name": "乗っ取り",  # disabled for partners: ignored
            "size": "sme",
            "postal_code": "1050011",
            "address": "東京都港区芝公園",
            "website": "https://minato-tech.example.jp",
            "csr_policy": "地域の高齢者のデジタル活用を支えます。",
            "research_fields": "",
            "motives": ["csr", "talent"],
            "wards_served": [ward("13103").pk, ward("13101").pk],
            "past_collaborations": "港区との見守り実証（2024年）",
        },
    )
    assert response.status_code == 302, response.content.decode()
    org.refresh_from_db()
    assert org.name == "株式会社みなとテック"
    assert org.postal_code == "105-0011"
    assert org.motives == ["csr", "talent"]
    assert not org.serves_all_wards
    assert sorted(w.code for w in org.wards_served.all()) == ["13101", "13103"]
    page = client.get(reverse("partners:my_org")).content.decode()
    assert "CSR・社会貢献" in page and "人材育成・採用" in page and "港区" in page


@pytest.mark.django_db
def test_contacts_crud(client, partner_a):
    client.force_login(partner_a)
    org = partner_a.membership.organization
    response = client.post(
        reverse("partners:contact_create"),
        {"name": "芝 次郎", "role": "広報", "email": "jiro@example.jp", "phone": "03-0000-0000"},
    )
    assert response.status_code == 302
    contact = ContactPerson.objects.get(organization=org, name="芝 次郎")
    response = client.post(
        reverse("partners:contact_edit", args=[contact.pk]),
        {"name": "芝 次郎", "role": "広報部長", "email": "bad", "phone": ""},
    )
    assert response.status_code == 200 and "メールアドレス" in response.content.decode()
    client.post(
        reverse("partners:contact_edit", args=[contact.pk]),
        {"name": "芝 次郎", "role": "広報部長", "email": "jiro@example.jp", "phone": ""},
    )
    contact.refresh_from_db()
    assert contact.role == "広報部長"
    # The last contact cannot be removed.
    client.post(reverse("partners:contact_delete", args=[contact.pk]))
    assert ContactPerson.objects.filter(pk=contact.pk).exists()
    other = ContactPersonFactory(organization=org)
    client.post(reverse("partners:contact_delete", args=[other.pk]))
    assert not ContactPerson.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [OrgStatus.PENDING, OrgStatus.REJECTED, OrgStatus.SUSPENDED])
def test_unapproved_partner_sees_status_page_only(client, org_a, status):
    org_a.status = status
    org_a.review_note = "法人番号の確認資料をお送りください"
    org_a.save()
    user = partner_user(org_a, "waiting")
    client.force_login(user)
    page = client.get(reverse("partners:my_org")).content.decode()
    assert "法人番号の確認資料をお送りください" in page
    assert client.get(reverse("partners:resource_create")).status_code == 302
    response = client.post(reverse("partners:resource_create"), resource_data())
    assert response.status_code == 302
    assert client.get(reverse("partners:my_profile")).status_code == 302
    assert not Resource.objects.exists()


@pytest.mark.django_db
def test_a_suspended_organisations_member_is_told_why_resources_are_locked(client, org_a):
    org_a.status = OrgStatus.SUSPENDED
    org_a.save()
    client.force_login(partner_user(org_a, "suspended_member"))
    page = client.get(reverse("partners:my_resources")).content.decode()
    assert "団体の利用が停止されているため" in page and "承認されるまで" not in page
    assert reverse("portal:contact") in page
    response = client.post(reverse("partners:resource_create"), resource_data(), follow=True)
    assert "団体の利用が停止されているため" in response.content.decode()
    assert not Resource.objects.exists()
