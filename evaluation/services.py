"""Writes owned by evaluation. Every function validates and either stores everything or nothing."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.measurements import value_parse
from evaluation.models import (
    CaseReuse,
    CaseStudy,
    Continuation,
    ImprovementAction,
    IndicatorDefinition,
    PaymentSchedule,
    ProjectIndicator,
    ReportFile,
    SatisfactionSurvey,
)
from evaluation.permissions import can_record_continuation
from matching.projects.models import PROJECT_UNDERWAY, Project
from portal.identifiers import indicator_key
from portal.models import User, Ward

INDICATOR_FIELDS = (
    "name",
    "description",
    "level",
    "kind",
    "term",
    "unit",
    "baseline",
    "target",
    "higher_is_better",
    "allows_negative",
)


class StaleEdit(ValidationError):
    """Someone else saved the record after the form was opened."""


# ---------------------------------------------------------------- indicators and measurements


def project_indicator_add(
    *, project: Project, definition: IndicatorDefinition | None = None, data: dict | None = None
) -> ProjectIndicator:
    """Adds a library indicator (its attributes copied, overridable by `data`) or a custom one.

    ValidationError when the project has an indicator whose name has the same
    portal.identifiers.indicator_key (「健康ﾎﾟｲﾝﾄ参加者数」 is 「健康ポイント参加者数」).
    """
    values: dict[str, Any] = {}
    if definition is not None:
        values = {name: getattr(definition, name) for name in INDICATOR_FIELDS}
    values.update(
        {k: v for k, v in (data or {}).items() if k in INDICATOR_FIELDS and v not in (None, "")}
    )
    # Compared as files and the device feed will find it: two names with one key would leave a
    # row of a measurement file free to land on either indicator (and an invisible name, none).
    key = indicator_key(values.get("name"))
    if not key:
        raise ValidationError(_("指標名を入力するか、標準指標から選んでください。"))
    names = ProjectIndicator.objects.filter(project=project).values_list("name", flat=True)
    if any(indicator_key(name) == key for name in names):
        raise ValidationError(_("この事業には同じ名前の指標がすでにあります。"))
    indicator = ProjectIndicator(project=project, definition=definition, **values)
    indicator.full_clean()
    indicator.save()
    return indicator


# ---------------------------------------------------------------- surveys


def survey_response_record(
    *,
    project: Project | None,
    respondent_type: str,
    score: Any,
    comment: str = "",
    answered_on: datetime.date | None = None,
) -> SatisfactionSurvey:
    try:
        score = int(score)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("満足度は1〜5の整数で入力してください。")) from exc
    if not 1 <= score <= 5:
        raise ValidationError(_("満足度は1〜5の整数で入力してください。"))
    survey = SatisfactionSurvey(
        project=project,
        respondent_type=respondent_type,
        score=score,
        comment=comment.strip(),
        answered_on=answered_on or timezone.localdate(),
    )
    survey.full_clean()
    survey.save()
    return survey


# ---------------------------------------------------------------- improvement actions
# (members, conflicts, rubric reviews and opinions: evaluation.committee.services)


def improvement_action_update(
    *,
    action: ImprovementAction,
    status: str,
    version: int,
    note: str = "",
    decided_on: datetime.date | None = None,
) -> ImprovementAction:
    """Marks an action implemented / not implemented / open again (optimistic locking)."""
    if status not in ImprovementAction.Status.values:
        raise ValidationError(_("対応状況の値が不正です。"))
    if status != ImprovementAction.Status.OPEN:
        decided_on = decided_on or timezone.localdate()
    else:
        decided_on = None
    with transaction.atomic():
        updated = ImprovementAction.objects.filter(pk=action.pk, version=version).update(
            status=status,
            note=note.strip(),
            decided_on=decided_on,
            version=version + 1,
            updated_at=timezone.now(),
        )
        if not updated:
            raise StaleEdit(
                _(
                    "ほかの人が先にこの改善アクションを更新しました。画面を読み込み直してから再度操作してください。"
                )
            )
        action.refresh_from_db()
        # simple_history is fed by save(); record the new state once.
        action.save(update_fields=["updated_at"])
    return action


# ---------------------------------------------------------------- continuation


def continuation_record(
    *,
    project: Project,
    years: int,
    state: str,
    note: str = "",
    recorded_on: datetime.date | None = None,
    recorded_by: User | None = None,
) -> Continuation:
    """Records the project's state 1 or 2 years after its start.

    `recorded_by` must hold evaluation.record_continuation on the project (PermissionDenied).

    「終了」 on a project still running closes it (完了; 中止 if it never started) through
    matching's status service; if matching refuses the change, nothing is stored.
    """
    if recorded_by is not None and not can_record_continuation(recorded_by, project):
        raise PermissionDenied(
            _("この連携事業の継続状況を記録する権限がありません（他区の事業です）。")
        )
    if years not in (1, 2):
        raise ValidationError(_("記録できるのは開始1年後と2年後の状況です。"))
    if state not in Continuation.State.values:
        raise ValidationError(_("状態の値が不正です。"))
    recorded_on = recorded_on or timezone.localdate()
    due = continuation_due_date(project=project, years=years)
    if recorded_on < due - datetime.timedelta(days=60):
        raise ValidationError(
            _("開始%(years)d年後の状況は %(due)s の2か月前から記録できます。")
            % {"years": years, "due": due}
        )
    with transaction.atomic():
        continuation, _created = Continuation.objects.update_or_create(
            project=project,
            years=years,
            defaults={
                "state": state,
                "note": note.strip(),
                "recorded_on": recorded_on,
                "recorded_by": recorded_by,
            },
        )
        closing: dict[str, str] = {
            **dict.fromkeys(PROJECT_UNDERWAY, Project.Status.COMPLETED),
            Project.Status.PREPARING: Project.Status.CANCELLED,  # it never started
        }
        if state == Continuation.State.ENDED and project.status in closing:
            from matching.projects.services import project_status_change

            project_status_change(
                project=project, status=closing[project.status], changed_by=recorded_by
            )
    return continuation


def continuation_due_date(*, project: Project, years: int) -> datetime.date:
    start = project.start_date
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


# ---------------------------------------------------------------- payments and cases


def payment_schedule_add(
    *,
    project: Project,
    indicator: ProjectIndicator,
    threshold: Any,
    amount: int,
    verification_date: datetime.date,
    note: str = "",
) -> PaymentSchedule:
    if indicator.project_id != project.pk:
        raise ValidationError(_("この指標はこの事業で使われていません。"))
    if indicator.kind != "quantitative":
        raise ValidationError(_("成果連動支払には定量指標を選んでください。"))
    line = PaymentSchedule(
        project=project,
        indicator=indicator,
        # An empty threshold (None) is refused by full_clean() below; the stubs' model
        # constructor does not accept None for a non-null field.
        threshold=value_parse(indicator, threshold),  # type: ignore[misc]
        amount=amount,
        verification_date=verification_date,
        note=note,
    )
    line.full_clean()
    line.save()
    return line


def case_save(
    *, project: Project, data: dict[str, Any], case: CaseStudy | None = None
) -> CaseStudy:
    from evaluation.models import CaseFactor

    for key in ("success_factors", "failure_factors"):
        unknown = [f for f in data.get(key) or [] if f not in CaseFactor.values]
        if unknown:
            raise ValidationError(_("要因は一覧から選んでください。"))
    case = case or CaseStudy(project=project)
    for name in (
        "kind",
        "title",
        "summary",
        "success_factors",
        "failure_factors",
        "factors_note",
        "lessons",
        "title_en",
        "summary_en",
        "lessons_en",
        "published",
    ):
        if name in data:
            setattr(case, name, data[name])
    case.project = project
    case.full_clean()
    case.save()
    return case


def case_reuse_record(
    *, case: CaseStudy, ward: Ward, reused_on: datetime.date | None = None, note: str = ""
) -> CaseReuse:
    if case.project.ward_id == ward.pk:
        raise ValidationError(_("事例の元の区は「他区での活用」として登録できません。"))
    reuse, _created = CaseReuse.objects.update_or_create(
        case=case,
        ward=ward,
        defaults={"reused_on": reused_on or timezone.localdate(), "note": note},
    )
    return reuse


# ---------------------------------------------------------------- reports


def report_request(
    *,
    fiscal_year: int,
    fmt: str,
    quarter: int | None = None,
    ward: Ward | None = None,
    created_by: User | None = None,
    lang: str = "ja",
) -> ReportFile:
    """Queues a report build on the worker; the file is kept for download.

    ``lang`` ("ja"/"en") is the language of a CSV's headers; a PDF is always Japanese.
    """
    from evaluation import tasks
    from portal.services import task_enqueue

    if quarter not in (None, 1, 2, 3, 4):
        raise ValidationError(_("四半期は1〜4で指定してください。"))
    if fmt == "pdf":
        from evaluation.report import ReportFontsMissing, font_paths

        try:
            font_paths()  # refused now, with what to install, rather than a failed build later
        except ReportFontsMissing as exc:
            raise ValidationError(str(exc)) from exc
    report = ReportFile.objects.create(
        fiscal_year=fiscal_year,
        quarter=quarter,
        ward=ward,
        format=fmt,
        language=lang,
        created_by=created_by,
    )
    task_enqueue(tasks.report_build, report_id=report.pk)
    return report


def report_progress(*, report: ReportFile, progress: int) -> None:
    ReportFile.objects.filter(pk=report.pk).update(
        progress=max(0, min(100, progress)), status=ReportFile.Status.RUNNING
    )


def report_build(*, report: ReportFile) -> ReportFile:
    """Builds the file of a queued report (idempotent: a finished report is left alone)."""
    from evaluation import report as builder

    if report.status == ReportFile.Status.DONE and report.file:
        return report
    report_progress(report=report, progress=5)
    try:
        content, figures = builder.report_render(
            fiscal_year=report.fiscal_year,
            quarter=report.quarter,
            ward=report.ward,
            fmt=report.format,
            progress=lambda pct: report_progress(report=report, progress=pct),
            lang=report.language,
        )
    except Exception as exc:
        ReportFile.objects.filter(pk=report.pk).update(
            status=ReportFile.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        raise
    report.file.save(f"report.{report.format}", ContentFile(content), save=False)
    report.figures = figures
    report.status = ReportFile.Status.DONE
    report.progress = 100
    report.finished_at = timezone.now()
    report.error = ""
    report.save()
    return report


def report_publish(*, report: ReportFile, published: bool = True) -> ReportFile:
    if published and report.status != ReportFile.Status.DONE:
        raise ValidationError(_("作成が完了した報告書だけを公開できます。"))
    report.published_at = timezone.now() if published else None
    report.save(update_fields=["published_at"])
    return report
