"""Exports are safe whatever the text; forms refuse control characters (issue #15, item 7)."""

from __future__ import annotations

import csv
import importlib
import inspect
import io
import pkgutil

import openpyxl
import pytest
from django import forms
from django.urls import reverse

from issues.models import Issue
from portal.formtools import TextSafetyMixin
from portal.locking import VersionedFormMixin
from portal.once import OnceFormMixin
from portal.tabular import cell_neutralize
from tests.issues.factories import IssueFactory, issue_data
from tests.partners.factories import ResourceFactory

DANGEROUS = ["+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(A1)", '==HYPERLINK("http://evil.example")']


def _admin(client, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)


@pytest.mark.parametrize("title", DANGEROUS)
def test_admin_csv_export_writes_no_formula_whatever_the_title(client, admin_user, title):
    IssueFactory(title=title)
    _admin(client, admin_user)
    response = client.post(
        reverse("admin:issues_issue_export"),
        {"format": "0", "resource": "0", "issueresource_title": "on"},
    )
    cell = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1][0]
    assert cell == "'" + title


def test_admin_xlsx_export_of_a_title_with_a_control_character_opens_as_text(client, admin_user):
    IssueFactory(title="\x01==HYPERLINK(1)")
    _admin(client, admin_user)
    formats = client.get(reverse("admin:issues_issue_export")).context["form"]
    xlsx = next(v for v, label in formats.fields["format"].choices if label == "xlsx")
    response = client.post(
        reverse("admin:issues_issue_export"),
        {"format": xlsx, "resource": "0", "issueresource_title": "on"},
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=1).value == "'==HYPERLINK(1)"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_registry_export_of_a_control_character_answers_with_a_clean_file(client, coordinator, fmt):
    ResourceFactory(title="ロボット\x01貸出", description="=1+1")
    client.force_login(coordinator)
    response = client.get(reverse("partners:export", args=[fmt]))
    assert response.status_code == 200
    if fmt == "xlsx":
        rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    else:
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert row[header.index("title")] == "ロボット貸出"
    assert row[header.index("description")] == "'=1+1"


def test_a_control_character_removed_in_front_of_a_formula_still_leaves_text():
    assert cell_neutralize("\x02=cmd") == "'=cmd"
    assert cell_neutralize("行1\r\n\t行2") == "行1\r\n\t行2"
    assert cell_neutralize(12) == 12


@pytest.mark.parametrize("field", ["title", "description"])
def test_issue_form_refuses_a_control_character_with_a_message(client, coordinator, field):
    client.force_login(coordinator)
    response = client.post(
        reverse("issues:create"), issue_data(**{field: "公園の遊具\x01の老朽化が進んでいる"})
    )
    assert response.status_code == 400
    assert "制御文字（U+0001）" in response.content.decode()
    assert not Issue.objects.exists()


def test_issue_form_keeps_line_breaks_and_tabs(client, coordinator):
    client.force_login(coordinator)
    client.post(reverse("issues:create"), issue_data(description="一行目\r\n\t二行目の説明です"))
    assert Issue.objects.get().description.startswith("一行目")


def _project_forms() -> list[type]:
    found = []
    for package in ("portal", "issues", "partners", "matching", "evaluation"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(cls, forms.BaseForm)
                    and cls.__module__ == info.name
                    and cls not in (VersionedFormMixin, OnceFormMixin)
                ):
                    found.append(cls)
    return found


def test_every_form_of_the_portal_refuses_control_characters():
    classes = _project_forms()
    assert len(classes) > 40
    missing = [
        f"{cls.__module__}.{cls.__name__}"
        for cls in classes
        if not issubclass(cls, TextSafetyMixin) and cls.__module__ != "portal.auth"
    ]
    assert missing == []
