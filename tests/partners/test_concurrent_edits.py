"""Two people saving the same organisation or resource: the second is told, nothing is overwritten."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from partners.models import Organization, Resource
from tests.partners.factories import ResourceFactory, partner_user

CONFLICT = "他の人がこの内容を先に保存しました"


def _form_data(response) -> dict:
    """What the browser would send back for the form as it was rendered."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def test_second_coordinator_saving_a_stale_organisation_form_gets_a_conflict(
    client, coordinator, approver, org_a
):
    url = reverse("partners:org_edit", args=[org_a.pk])
    first, second = client, Client()
    first.force_login(coordinator)
    second.force_login(approver)
    form_first = _form_data(first.get(url))
    form_second = _form_data(second.get(url))

    assert first.post(url, {**form_first, "name": "株式会社みなとテック（新）"}).status_code == 302
    response = second.post(url, {**form_second, "name": "株式会社古い名前"})

    assert response.status_code == 200
    assert CONFLICT in response.content.decode()
    org_a.refresh_from_db()
    assert org_a.name == "株式会社みなとテック（新）" and org_a.version == 2


def test_partner_profile_and_coordinator_edit_of_the_same_organisation_conflict(
    client, coordinator, partner_a, org_a
):
    partner = Client()
    partner.force_login(partner_a)
    client.force_login(coordinator)
    profile_form = _form_data(partner.get(reverse("partners:my_profile")))
    staff_url = reverse("partners:org_edit", args=[org_a.pk])
    staff_form = _form_data(client.get(staff_url))

    assert client.post(staff_url, {**staff_form, "name": "職員が直した名前"}).status_code == 302
    response = partner.post(reverse("partners:my_profile"), profile_form)

    assert CONFLICT in response.content.decode()
    assert Organization.objects.get(pk=org_a.pk).name == "職員が直した名前"


def test_two_members_editing_the_same_resource_conflict(partner_a, org_a):
    colleague = partner_user(org_a, "partner_a2")
    resource = ResourceFactory(organization=org_a, title="出張プログラミング教室")
    url = reverse("partners:resource_edit", args=[resource.pk])
    one, two = Client(), Client()
    one.force_login(partner_a)
    two.force_login(colleague)
    form_one, form_two = _form_data(one.get(url)), _form_data(two.get(url))

    assert (
        one.post(url, {**form_one, "title": "出張プログラミング教室（夏休み）"}).status_code == 302
    )
    response = two.post(url, {**form_two, "title": "上書きしようとした題名"})

    assert CONFLICT in response.content.decode()
    resource.refresh_from_db()
    assert resource.title == "出張プログラミング教室（夏休み）" and resource.version == 2

    # After reopening the form, the colleague's save goes through.
    fresh = _form_data(two.get(url))
    assert two.post(url, {**fresh, "title": "最新を見てから直した題名"}).status_code == 302
    assert Resource.objects.get(pk=resource.pk).version == 3
