"""Issue #15 (second probe): every person-typed field of the public forms has a length the
database can hold and a phone number is a phone number. Each bound is tried through the page:
the longest value allowed is stored (PostgreSQL raises on a too-long varchar where SQLite does
not, so CI's PostgreSQL run proves it fits), one more character is refused with a message on
the form and nothing is stored."""

from __future__ import annotations

import pytest
from django import forms
from django.db import models
from django.urls import reverse

from matching.events import services
from matching.events.forms import ResidentSignUpForm
from matching.events.models import Invitation
from partners.forms import ContactPersonForm, RegistrationForm
from partners.models import ContactPerson, Organization, Resource
from portal.formtools import phone_validate
from portal.models import ConsultationRequest
from portal.support.forms import ConsultationForm
from tests.matching.events.test_lifecycle import _event_data
from tests.partners.test_registration import form_data as registration_data
from tests.portal.test_consultations import _form as consultation_data

pytestmark = pytest.mark.django_db


def _email(length: int) -> str:
    """A valid address of exactly `length` characters (64-character local part, labels ≤ 63)."""
    local = "a" * 64 + "@"
    rest = length - len(local) - len(".jp")
    labels = []
    while rest > 0:
        label = min(63, rest if rest <= 63 else rest - 2)
        labels.append("b" * label)
        rest -= label + 1
    return local + ".".join(labels) + ".jp"


# The form field → the model column it is stored in (the form must not allow more). 郵便番号 and
# 法人番号 are stored normalised (105-0011, 13 digits) and checked as such, so not listed.
STORED = {
    ResidentSignUpForm: {
        "name": Invitation._meta.get_field("name"),
        "email": Invitation._meta.get_field("email"),
        "phone": Invitation._meta.get_field("phone"),
        "accessibility_needs": Invitation._meta.get_field("accessibility_needs"),
    },
    RegistrationForm: {
        "name": Organization._meta.get_field("name"),
        "address": Organization._meta.get_field("address"),
        "website": Organization._meta.get_field("website"),
        "contact_name": ContactPerson._meta.get_field("name"),
        "contact_role": ContactPerson._meta.get_field("role"),
        "contact_email": ContactPerson._meta.get_field("email"),
        "contact_phone": ContactPerson._meta.get_field("phone"),
        "resource_title": Resource._meta.get_field("title"),
        "resource_description": Resource._meta.get_field("description"),
    },
    ConsultationForm: {
        name: ConsultationRequest._meta.get_field(name)
        for name in ("name", "organization", "email", "phone", "message")
    },
    ContactPersonForm: {
        name: ContactPerson._meta.get_field(name) for name in ("name", "role", "email", "phone")
    },
}


@pytest.mark.parametrize("form_class", STORED, ids=lambda f: f.__name__)
def test_no_public_form_field_takes_more_than_its_column_holds(form_class):
    for name, column in STORED[form_class].items():
        field = form_class.base_fields[name]
        assert isinstance(field, forms.CharField), name
        assert field.max_length is not None, name
        if isinstance(column, models.CharField) or column.max_length:
            assert field.max_length <= column.max_length, (form_class.__name__, name)


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("03-1234-5678", True),  # 10 digits, a Tokyo line
        ("090-1234-5678", True),  # 11 digits, a mobile
        ("０３（１２３４）５６７８", True),  # typed with a Japanese IME
        ("+81 3 1234 5678", True),
        ("+1 (212) 555-0100", True),
        ("03-1234-567", False),  # 9 digits
        ("090-1234-56789", False),  # 12 digits
        ("1234567890", False),  # no leading 0: no domestic number
        ("+1234567", False),  # 7 digits
        ("+1234567890123456", False),  # 16 digits
        ("-----", False),
        ("+++", False),
        ("03-1234-5678 内線12", False),
        ("1" * 40, False),
    ],
)
def test_a_phone_number_is_10_or_11_domestic_digits_or_an_international_number(phone, ok):
    if ok:
        phone_validate(phone)
    else:
        with pytest.raises(forms.ValidationError, match="10〜11桁"):
            phone_validate(phone)


def test_the_consultation_form_stores_the_longest_values_and_refuses_one_more(client, coordinator):
    url = reverse("portal:consultation_new")
    longest = {"name": "名" * 100, "organization": "団" * 200, "email": _email(254)}
    assert len(longest["email"]) == 254
    assert client.post(url, consultation_data(**longest)).status_code == 302
    stored = ConsultationRequest.objects.get()
    assert (stored.name, stored.email) == (longest["name"], longest["email"])
    for field, value in (("name", "名" * 101), ("email", _email(255)), ("phone", "1" * 40)):
        response = client.post(url, consultation_data(**{field: value}))
        assert response.context["form"].has_error(field), field
    assert ConsultationRequest.objects.count() == 1


def test_the_resident_sign_up_stores_the_longest_values_and_refuses_one_more(client, coordinator):
    event = services.event_create(
        created_by=coordinator, data=_event_data(capacity=20, public=True, resident_signup=True)
    )
    url = reverse("matching:event_public_detail", args=[event.pk])
    base = {"phone": "", "party_size": "1", "accessibility_needs": ""}
    longest = {"name": "名" * 100, "email": _email(254), "accessibility_needs": "配" * 1000}
    assert client.post(url, {**base, **longest}).status_code == 302
    assert Invitation.objects.get(event=event).name == longest["name"]
    for field, value in (
        ("name", "名" * 101),
        ("email", _email(255)),
        ("phone", "1" * 40),
        ("phone", "0" * 20),
        ("accessibility_needs", "配" * 1001),
    ):
        data = {**base, "name": "山田 花子", "email": "x@example.jp", field: value}
        response = client.post(url, data)
        assert response.context["form"].has_error(field), (field, value)
    assert Invitation.objects.filter(event=event).count() == 1


def test_the_partner_registration_stores_the_longest_values_and_refuses_one_more(client):
    url = reverse("partners:register")
    website = "https://example.jp/" + "a" * 181
    longest = {
        "name": "団" * 200,
        "website": website,
        "contact_name": "名" * 100,
        "contact_email": _email(254),
    }
    assert len(website) == 200
    assert client.post(url, registration_data(**longest)).status_code == 302
    assert Organization.objects.get().name == longest["name"]
    for field, value in (
        ("name", "団" * 201),
        ("website", website + "a"),
        ("contact_name", "名" * 101),
        ("contact_email", _email(255)),
        ("contact_phone", "1" * 40),
    ):
        response = client.post(url, registration_data(**{field: value}))
        assert response.context["form"].has_error(field), (field, value)
    assert Organization.objects.count() == 1
