"""Public registration: form → 審査中 → staff approval → set password → login → edit own resource."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from partners.models import ContactPerson, Membership, Organization, OrgStatus, Resource
from portal.models import Notification, User
from tests.partners.factories import ContactPersonFactory, OrganizationFactory

REGISTER = reverse("partners:register")


def form_data(**overrides):
    data = {
        "name": "株式会社みなとデジタルソリューションズ",
        "org_type": "company",
        "size": "sme",
        "corporate_number": "1180301018771",
        "postal_code": "105-0011",
        "address": "東京都港区芝公園1-2-3",
        "ward": "",
        "website": "https://minato-digital.example.jp",
        "contact_name": "港 花子",
        "contact_role": "CSR推進室長",
        "contact_email": "hanako@minato-digital.example.jp",
        "contact_phone": "03-1234-5678",
        "resource_kind": "technology",
        "resource_title": "高齢者向けスマホ教室の講師派遣",
        "resource_description": "社員が講師となり、地域の高齢者向けにスマートフォンの使い方教室を開きます。",
        "agree": "on",
        "homepage": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_registration_end_to_end(client, coordinator, django_capture_on_commit_callbacks):
    # 1. The public form.
    assert client.get(REGISTER).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:register_done")
    done = client.get(response["Location"])
    assert "株式会社みなとデジタルソリューションズ" in done.content.decode()

    org = Organization.objects.get(name="株式会社みなとデジタルソリューションズ")
    assert org.status == OrgStatus.PENDING
    user = User.objects.get(email="hanako@minato-digital.example.jp")
    assert user.role == "partner"
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).organization == org
    assert ContactPerson.objects.get(organization=org).role == "CSR推進室長"
    assert Resource.objects.get(organization=org).title == "高齢者向けスマホ教室の講師派遣"

    # 2. The e-mail with a set-password link.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["hanako@minato-digital.example.jp"]
    link = re.search(r"https?://\S+/partners/password/\S+/", mail.outbox[0].body).group(0)
    # Absolute, from SITE_URL: a mail has no request to take the host from.
    assert link.startswith(settings.SITE_URL + "/")
    path = link.removeprefix(settings.SITE_URL)

    # 3. Before approval: can log in (after setting a password) but only sees the status page.
    response = client.post(
        path, {"new_password1": "Kouen-Shiba-2026!", "new_password2": "Kouen-Shiba-2026!"}
    )
    assert response.status_code == 302
    # The link is single-use: the token no longer checks once the password changed.
    assert client.get(path).status_code == 400
    signed_in = client.post(
        reverse("portal:login"), {"username": user.username, "password": "Kouen-Shiba-2026!"}
    )
    assert signed_in.status_code == 302
    status_page = client.get(reverse("partners:my_org")).content.decode()
    assert "審査中" in status_page
    resource = Resource.objects.get(organization=org)
    edit = reverse("partners:resource_edit", args=[resource.pk])
    assert client.get(edit).status_code == 302  # back to the status page
    assert client.get(reverse("partners:resource_create")).status_code == 302
    client.logout()

    # 4. Staff approve.
    client.force_login(coordinator)
    pending = client.get(reverse("partners:pending")).content.decode()
    assert "株式会社みなとデジタルソリューションズ" in pending
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partners:org_review", args=[org.pk]), {"action": "approve", "reason": ""}
        )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == OrgStatus.APPROVED
    assert Notification.objects.filter(recipient=user, message__contains="承認済み").exists()
    client.logout()

    # 5. The partner logs in and edits their own resource.
    signed_in = client.post(
        reverse("portal:login"), {"username": user.username, "password": "Kouen-Shiba-2026!"}
    )
    assert signed_in.status_code == 302
    response = client.post(
        edit,
        {
            "kind": "technology",
            "title": "高齢者向けスマホ教室（拡大版）",
            "description": "月2回、区内の集会所でスマホ教室を開きます。",
            "serves_all_wards": "",
            "wards": [user_ward_pk("13103")],
            "capacity": "4",
            "capacity_note": "1回20名まで",
            "available_from": "2026-04-01",
            "available_until": "2027-03-31",
            "academic_term": "",
            "conditions": "会場はご用意ください。",
            "sdgs": ["3", "4"],
        },
    )
    assert response.status_code == 302, response.content.decode()
    resource.refresh_from_db()
    assert resource.title == "高齢者向けスマホ教室（拡大版）"
    assert resource.capacity == 4
    assert resource.sdgs == [3, 4]
    assert [w.code for w in resource.wards.all()] == ["13103"]
    assert resource.history.count() >= 2
    detail = client.get(reverse("partners:resource_detail", args=[resource.pk])).content.decode()
    assert "変更履歴" in detail and "高齢者向けスマホ教室（拡大版）" in detail


def user_ward_pk(code):
    from tests.portal.factories import ward

    return ward(code).pk


@pytest.mark.django_db
def test_university_may_omit_corporate_number_company_may_not(client):
    response = client.post(
        REGISTER,
        form_data(
            name="城南工業大学",
            org_type="university",
            corporate_number="",
            contact_email="u@example.ac.jp",
        ),
    )
    assert response.status_code == 302
    assert Organization.objects.filter(name="城南工業大学").exists()
    response = client.post(REGISTER, form_data(corporate_number="", contact_email="c@example.jp"))
    assert response.status_code == 200
    assert "企業は法人番号" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("corporate_number", "1180301018772", "チェックディジット"),
        ("corporate_number", "123", "13桁"),
        ("contact_email", "not-an-email", "メールアドレス"),
        ("website", "javascript:alert(1)", "URL"),
        ("postal_code", "1050011x", "123-4567"),
        ("resource_description", "   ", "リソースの内容を入力してください"),
        ("contact_phone", "<script>", "電話番号"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(client, field, value, message):
    response = client.post(REGISTER, form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organization.objects.exists()
    assert not User.objects.filter(role="partner").exists()
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_honeypot_pretends_success_and_stores_nothing(client):
    response = client.post(REGISTER, form_data(homepage="http://spam.example"))
    assert response.status_code == 302
    assert not Organization.objects.exists()
    assert not User.objects.filter(role="partner").exists()
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_rate_limit_counts_accepted_registrations_and_says_when_to_retry(client):
    # Mistakes do not count: a person correcting the form ten times is not locked out.
    for _ in range(10):
        assert client.post(REGISTER, form_data(contact_email="not-an-address")).status_code == 200
    for n in range(5):
        response = client.post(
            REGISTER, form_data(name=f"株式会社テスト{n}", contact_email=f"t{n}@example.jp")
        )
        assert response.status_code == 302
    response = client.post(
        REGISTER, form_data(name="株式会社六番目", contact_email="t6@example.jp")
    )
    assert response.status_code == 429
    page = response.content.decode()
    assert re.search(r"\d{1,2}:\d{2} 以降にもう一度", page)
    assert "株式会社六番目" in page  # what was typed stays on the screen
    assert not Organization.objects.filter(name="株式会社六番目").exists()
    assert Organization.objects.count() == 5


@pytest.mark.django_db
def test_a_known_address_gets_the_public_answer_and_its_holder_a_mail(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(REGISTER, form_data())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(REGISTER, form_data(name="株式会社べつ"))
    # The same answer as a new registration: nobody learns the address is known.
    assert again.status_code == first.status_code == 302
    assert again["Location"] == first["Location"]
    assert Organization.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["hanako@minato-digital.example.jp"]]
    assert "既にログインID" in mail.outbox[0].body and "/password/reset/" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_contacts_address_is_not_taken_by_someone_elses_registration(
    client, django_capture_on_commit_callbacks
):
    """Third probe of #13: a contact of an organisation without members had their address
    made into a stranger's login, and their own mailed "create an account" link then failed."""
    holder = OrganizationFactory(name="株式会社湾岸損害保険", status=OrgStatus.APPROVED)
    ContactPersonFactory(organization=holder, name="湾岸 一郎", email="contact1@example-011.jp")
    with django_capture_on_commit_callbacks(execute=True):
        fresh = client.post(REGISTER, form_data(contact_email="new@example.jp"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # Typed as an IME gives it: full-width and upper case.
        taken = client.post(
            REGISTER,
            form_data(name="連絡先メール社", contact_email="ＣＯＮＴＡＣＴ1@example-011.jp"),
        )
    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"]  # the same public answer
    assert not Organization.objects.filter(name="連絡先メール社").exists()
    assert not User.objects.filter(email__iexact="contact1@example-011.jp").exists()
    assert [m.to for m in mail.outbox] == [["contact1@example-011.jp"]]
    assert "株式会社湾岸損害保険」の担当者として登録されている" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_known_corporate_number_is_registered_for_review_and_its_holder_told(
    client, coordinator, django_capture_on_commit_callbacks
):
    existing = OrganizationFactory(name="株式会社みなと", corporate_number="1180301018771")
    ContactPersonFactory(organization=existing, email="soumu@minato.example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, form_data(contact_email="new@minato.example.jp"))
    assert response.status_code == 302
    registered = Organization.objects.exclude(pk=existing.pk).get()
    told = [m for m in mail.outbox if m.to == ["soumu@minato.example.jp"]]
    assert len(told) == 1 and "1180301018771" in told[0].body
    client.force_login(coordinator)
    review = client.get(reverse("partners:org_detail", args=[registered.pk])).content.decode()
    assert "株式会社みなと" in review and "重複の可能性がある団体" in review
    pending = client.get(reverse("partners:pending")).content.decode()
    assert "同じ法人番号: " in pending and f"（ID {existing.pk}・" in pending


@pytest.mark.django_db
def test_the_form_asks_field_sdgs_and_wards_and_reviewers_are_notified(
    client, coordinator, coordinator_other_ward, approver, django_capture_on_commit_callbacks
):
    from portal.models import Field

    field = Field.objects.order_by("order").first()
    data = form_data(ward=user_ward_pk("13101"))
    data.update(
        resource_fields=[field.pk],
        resource_sdgs=["3", "11"],
        resource_wards=[user_ward_pk("13101"), user_ward_pk("13103")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(REGISTER, data).status_code == 302
    resource = Resource.objects.get()
    assert list(resource.fields.all()) == [field]
    assert resource.sdgs == [3, 11] and not resource.serves_all_wards
    assert sorted(w.code for w in resource.wards.all()) == ["13101", "13103"]
    notified = set(
        Notification.objects.filter(message__contains="審査待ち").values_list(
            "recipient__username", flat=True
        )
    )
    assert {coordinator.username, approver.username} <= notified
    assert coordinator_other_ward.username not in notified


@pytest.mark.django_db
def test_invalid_set_password_link(client):
    response = client.get(reverse("partners:password_set", args=["MQ", "bad-token"]))
    assert response.status_code == 400
    assert "無効" in response.content.decode()


@pytest.mark.django_db
def test_menu_entries_by_role(client, coordinator, partner_a):
    from portal.registry import menu_for

    assert "partners:register" in [e.url_name for e in menu_for(None)]
    assert {"partners:my_org", "partners:my_resources"} <= {e.url_name for e in menu_for("partner")}
    assert "partners:registry" in [e.url_name for e in menu_for("coordinator")]
    assert "partners:registry" not in [e.url_name for e in menu_for("partner")]


@pytest.mark.django_db
def test_pending_list_flags_duplicates_in_a_fixed_number_of_queries(
    client, coordinator, django_assert_max_num_queries
):
    from partners.selectors import pending_with_duplicates

    for n in range(12):
        OrganizationFactory(name=f"（株）テスト{n}", status="pending", corporate_number="")
        OrganizationFactory(name=f"株式会社テスト{n}", status="approved", corporate_number="")
    with django_assert_max_num_queries(2):
        pending = pending_with_duplicates()
    assert len(pending) == 12
    assert all(
        [other.name for other in org.same_as] == [org.name.replace("（株）", "株式会社")]
        for org in pending
    )
