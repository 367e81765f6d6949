"""Forms for projects (entry, period, status, cost split, progress, documents, problems),
outside support, coordinator budgets and grants."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import Issue, IssueStatus
from matching.projects.activity import PROBLEM_TRANSITIONS
from matching.projects.models import (
    ExternalSupport,
    Grant,
    ProblemKind,
    ProblemStatus,
    Project,
    ProjectProblem,
)
from matching.projects.services import PROJECT_TRANSITIONS
from partners.models import Organization, OrgStatus
from portal.formtools import DateInput, PortalForm, PortalModelForm
from portal.models import Role, User, Ward
from portal.once import OnceFormMixin
from portal.uploads import DocumentFileField

YEN_MAX = 10**11  # 1,000億円: far above any project, below the column's limit


def _coordinators(ward: Ward | None):
    qs = User.objects.filter(role=Role.COORDINATOR, is_active=True)
    if ward is not None:
        qs = qs.filter(Q(ward=ward) | Q(ward__isnull=True))
    return qs.order_by("username")


class ProjectCreateForm(OnceFormMixin, PortalForm):
    """A project a coordinator enters directly (one that did not come through a proposal)."""

    title = forms.CharField(label=_("事業名"), max_length=200)
    summary = forms.CharField(
        label=_("概要"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    ward = forms.ModelChoiceField(label=_("区"), queryset=Ward.objects.order_by("code"))
    issues = forms.ModelMultipleChoiceField(
        label=_("地域課題"),
        queryset=Issue.objects.none(),
        help_text=_("この事業で取り組む区の地域課題（募集中・精査中・連携中）"),
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("連携団体"),
        queryset=Organization.objects.filter(status=OrgStatus.APPROVED).order_by("name"),
    )
    coordinator = forms.ModelChoiceField(
        label=_("担当コーディネーター"), queryset=User.objects.none(), required=False
    )
    start_date = forms.DateField(label=_("開始日"), widget=DateInput)
    end_date = forms.DateField(label=_("終了予定日"), required=False, widget=DateInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        issues = Issue.objects.filter(
            status__in=[IssueStatus.OPEN, IssueStatus.REVIEWING, IssueStatus.COLLABORATING]
        ).order_by("ref")
        if user.role == Role.COORDINATOR:
            # A coordinator enters projects of their own ward only.
            cast(forms.ModelChoiceField, self.fields["ward"]).queryset = Ward.objects.filter(
                pk=user.ward_id or 0
            )
            self.fields["ward"].initial = user.ward_id
            issues = issues.filter(Q(ward_id=user.ward_id) | Q(ward__isnull=True))
            self.fields["coordinator"].initial = user.pk
        cast(forms.ModelMultipleChoiceField, self.fields["issues"]).queryset = issues
        cast(forms.ModelChoiceField, self.fields["coordinator"]).queryset = _coordinators(
            None if user.role != Role.COORDINATOR else user.ward
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("終了日は開始日より後にしてください。"))
        ward = data.get("ward")
        strangers = [
            i
            for i in data.get("issues") or []
            if i.ward_id not in (None, getattr(ward, "pk", None))
        ]
        if strangers:
            self.add_error("issues", _("選んだ区以外の地域課題は含められません。"))
        return data


class ProjectEditForm(PortalForm):
    """Period, summary, coordinator and reach of a project (its status has its own form)."""

    title = forms.CharField(label=_("事業名"), max_length=200)
    summary = forms.CharField(
        label=_("概要"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    start_date = forms.DateField(label=_("開始日"), widget=DateInput)
    end_date = forms.DateField(label=_("終了日"), required=False, widget=DateInput)
    coordinator = forms.ModelChoiceField(
        label=_("担当コーディネーター"), queryset=User.objects.none(), required=False
    )
    participants = forms.IntegerField(label=_("参加者数"), min_value=0, max_value=10**7)
    beneficiaries = forms.IntegerField(label=_("受益者数"), min_value=0, max_value=10**8)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(project, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["coordinator"]).queryset = _coordinators(
            project.ward
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("終了日は開始日より後にしてください。"))
        return data


class StatusForm(PortalForm):
    """The next status of a project: only the steps its lifecycle allows from where it is."""

    status = forms.ChoiceField(label=_("新しい状態"))
    changed_on = forms.DateField(
        label=_("変更日"), widget=DateInput, help_text=_("変更が効力を持った日（今日以前）")
    )
    note = forms.CharField(
        label=_("理由・メモ"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = PROJECT_TRANSITIONS.get(project.status, set())
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (s.value, s.label) for s in Project.Status if s in allowed
        ]
        self.fields["changed_on"].initial = timezone.localdate()


class CostsForm(PortalForm):
    """Each party's money and in-kind contribution (yen): the ward first, then each
    organisation of the project; fields ``cash_<key>``, ``in_kind_<key>``, ``note_<key>`` where
    the key is ``ward`` or the organisation's pk."""

    def __init__(self, *args: Any, rows: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            key = self.key(row["key"])
            name = str(row["party"] or _("区"))
            self.fields[f"cash_{key}"] = forms.IntegerField(
                label=_("%(party)s の負担額（円）") % {"party": name},
                min_value=0,
                max_value=YEN_MAX,
                initial=row["cash"],
            )
            self.fields[f"in_kind_{key}"] = forms.IntegerField(
                label=_("%(party)s の現物提供の評価額（円）") % {"party": name},
                min_value=0,
                max_value=YEN_MAX,
                initial=row["in_kind"],
            )
            self.fields[f"note_{key}"] = forms.CharField(
                label=_("%(party)s の現物提供の内容") % {"party": name},
                required=False,
                max_length=200,
                initial=row["in_kind_note"],
            )

    @staticmethod
    def key(organization_id: int | None) -> str:
        return "ward" if organization_id is None else str(organization_id)

    def field_rows(self) -> list[dict[str, Any]]:
        """The bound fields per party, for the table the template draws."""
        return [
            {
                **row,
                "cash_field": self[f"cash_{self.key(row['key'])}"],
                "in_kind_field": self[f"in_kind_{self.key(row['key'])}"],
                "note_field": self[f"note_{self.key(row['key'])}"],
            }
            for row in self.rows
        ]

    def parties(self) -> dict[int | None, dict[str, Any]]:
        data = self.cleaned_data
        return {
            row["key"]: {
                "cash": data[f"cash_{self.key(row['key'])}"],
                "in_kind": data[f"in_kind_{self.key(row['key'])}"],
                "in_kind_note": data[f"note_{self.key(row['key'])}"],
            }
            for row in self.rows
        }


class ProgressForm(OnceFormMixin, PortalForm):
    reported_on = forms.DateField(label=_("報告日"), widget=DateInput)
    body = forms.CharField(
        label=_("進捗"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_steps = forms.CharField(
        label=_("次の予定"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reported_on"].initial = timezone.localdate()


class DocumentForm(OnceFormMixin, PortalForm):
    title = forms.CharField(label=_("資料名"), max_length=200)
    file = DocumentFileField(
        label=_("ファイル"),
        max_bytes=settings.UPLOAD_MAX_BYTES,
        help_text=_("PDF、画像（PNG・JPEG）、Word・Excel・PowerPoint、テキスト・CSV"),
    )


class ProblemForm(OnceFormMixin, PortalForm):
    kind = forms.ChoiceField(label=_("種類"), choices=ProblemKind.choices)
    title = forms.CharField(label=_("件名"), max_length=200)
    description = forms.CharField(
        label=_("内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ProblemUpdateForm(PortalForm):
    status = forms.ChoiceField(label=_("対応状況"))
    resolution = forms.CharField(
        label=_("対応の記録"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, problem: ProjectProblem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = PROBLEM_TRANSITIONS.get(ProblemStatus(problem.status), set())
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (s.value, s.label) for s in ProblemStatus if s in allowed
        ]
        self.fields["resolution"].initial = problem.resolution


class ExternalSupportForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = ExternalSupport
        fields = ["project", "body_name", "body_type", "description", "started_on", "ended_on"]
        widgets = {"started_on": DateInput, "ended_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.order_by("-start_date")


class BudgetForm(PortalForm):
    coordinator = forms.ModelChoiceField(
        label=_("コーディネーター"),
        queryset=User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("username"),
    )
    fiscal_year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    amount = forms.IntegerField(label=_("予算額（円）"), min_value=0, max_value=10**11)


class GrantForm(OnceFormMixin, PortalModelForm):
    class Meta:
        model = Grant
        fields = ["project", "amount", "purpose", "awarded_on"]
        widgets = {"awarded_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.order_by("-start_date")

    def _post_clean(self):
        pass
