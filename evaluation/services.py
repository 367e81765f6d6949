"""Writes owned by evaluation. Every function validates and either stores everything or nothing."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.models import (
    CaseReuse,
    CaseStudy,
    CommitteeMember,
    ConflictOfInterest,
    Continuation,
    DeviceFeed,
    ImprovementAction,
    IndicatorDefinition,
    Measurement,
    MeasurementSource,
    PaymentSchedule,
    ProjectIndicator,
    ReportFile,
    Review,
    SatisfactionSurvey,
)
from evaluation.permissions import can_record_continuation
from matching.projects.models import Project
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
)


class StaleEdit(ValidationError):
    """Someone else saved the record after the form was opened."""


# ---------------------------------------------------------------- indicators and measurements


def project_indicator_add(
    *, project: Project, definition: IndicatorDefinition | None = None, data: dict | None = None
) -> ProjectIndicator:
    """Adds a library indicator (its attributes copied, overridable by `data`) or a custom one."""
    values: dict[str, Any] = {}
    if definition is not None:
        values = {name: getattr(definition, name) for name in INDICATOR_FIELDS}
    values.update(
        {k: v for k, v in (data or {}).items() if k in INDICATOR_FIELDS and v not in (None, "")}
    )
    if not values.get("name"):
        raise ValidationError(_("指標名を入力するか、標準指標から選んでください。"))
    if ProjectIndicator.objects.filter(project=project, name=values["name"]).exists():
        raise ValidationError(_("この事業には同じ名前の指標がすでにあります。"))
    indicator = ProjectIndicator(project=project, definition=definition, **values)
    indicator.full_clean()
    indicator.save()
    return indicator


def _parse_value(indicator: ProjectIndicator, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(_("値は数値で入力してください。"))
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError(_("値は数値で入力してください。")) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValidationError(_("値が大きすぎるか、数値ではありません。"))
    return number.quantize(Decimal("0.01"))


def _parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationError(_("日付は YYYY-MM-DD の形式で入力してください。")) from exc


def measurement_validate(
    *, project: Project, indicator: ProjectIndicator, measured_on: Any, value: Any, text: str = ""
) -> tuple[datetime.date, Decimal | None, str]:
    """Checks a measurement without storing it; returns the cleaned (date, value, text)."""
    if indicator.project_id != project.pk:
        raise ValidationError(_("この指標はこの事業で使われていません。"))
    day = _parse_date(measured_on)
    if day < project.start_date or (project.end_date and day > project.end_date):
        raise ValidationError(
            _("測定日が事業期間（%(start)s〜%(end)s）の外です。")
            % {"start": project.start_date, "end": project.end_date or _("継続中")}
        )
    if day > timezone.localdate():
        raise ValidationError(_("未来の日付の測定値は登録できません。"))
    number = _parse_value(indicator, value)
    text = (text or "").strip()
    if indicator.kind == "quantitative" and number is None:
        raise ValidationError(_("定量指標には数値を入力してください。"))
    if indicator.kind == "qualitative" and not text and number is None:
        raise ValidationError(_("定性指標には評価の内容を入力してください。"))
    return day, number, text


def measurement_record(
    *,
    project: Project,
    indicator: ProjectIndicator,
    measured_on: Any,
    value: Any = None,
    text: str = "",
    source: str = MeasurementSource.MANUAL,
    recorded_by: User | None = None,
) -> Measurement:
    day, number, text = measurement_validate(
        project=project, indicator=indicator, measured_on=measured_on, value=value, text=text
    )
    return Measurement.objects.create(
        indicator=indicator,
        measured_on=day,
        value=number,
        text=text,
        source=source,
        recorded_by=recorded_by,
    )


@dataclass
class BatchResult:
    created: list[Measurement]
    errors: list[str]


def measurements_record_batch(
    *,
    project: Project,
    rows: list[dict[str, Any]],
    source: str,
    recorded_by: User | None = None,
    first_row: int = 2,
) -> BatchResult:
    """All-or-nothing: each row {indicator, date, value, text}; `indicator` is an id or a name.

    Returns the created rows, or (nothing stored) a message per bad row.
    """
    indicators = list(ProjectIndicator.objects.filter(project=project))
    by_id = {str(i.pk): i for i in indicators}
    by_name = {i.name: i for i in indicators}
    errors: list[str] = []
    cleaned = []
    for number, row in enumerate(rows, start=first_row):
        key = str(row.get("indicator", "")).strip()
        indicator = by_id.get(key) or by_name.get(key)
        if indicator is None:
            errors.append(
                _("%(row)d行目: 指標「%(key)s」はこの事業にありません。")
                % {"row": number, "key": key}
            )
            continue
        try:
            cleaned.append(
                (
                    indicator,
                    *measurement_validate(
                        project=project,
                        indicator=indicator,
                        measured_on=row.get("date", ""),
                        value=row.get("value"),
                        text=str(row.get("text") or ""),
                    ),
                )
            )
        except ValidationError as exc:
            errors.append(
                _("%(row)d行目: %(msg)s") % {"row": number, "msg": " ".join(exc.messages)}
            )
    if not rows:
        errors.append(_("測定値の行がありません。"))
    if errors:
        return BatchResult(created=[], errors=errors)
    with transaction.atomic():
        created = Measurement.objects.bulk_create(
            [
                Measurement(
                    indicator=indicator,
                    measured_on=day,
                    value=value,
                    text=text,
                    source=source,
                    recorded_by=recorded_by,
                )
                for indicator, day, value, text in cleaned
            ]
        )
    return BatchResult(created=created, errors=[])


def measurements_import_csv(
    *, project: Project, data: bytes, recorded_by: User | None = None
) -> BatchResult:
    """CSV/XLSX with columns indicator (指標), date (測定日), value (値), text (定性評価)."""
    from portal.tabular import TabularError, cell_errors, tabular_read

    aliases = {
        "指標": "indicator",
        "指標名": "indicator",
        "測定日": "date",
        "日付": "date",
        "値": "value",
        "定性評価": "text",
        "内容": "text",
    }
    try:
        dataset = tabular_read(data=data, aliases=aliases, required=["indicator", "date"])
    except TabularError as exc:
        return BatchResult(created=[], errors=[str(exc)])
    errors = cell_errors(dataset)
    if errors:
        return BatchResult(created=[], errors=errors)
    rows = [dict(zip(dataset.headers, row, strict=True)) for row in dataset]
    return measurements_record_batch(
        project=project, rows=rows, source=MeasurementSource.CSV, recorded_by=recorded_by
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_feed_create(*, project: Project, name: str) -> tuple[DeviceFeed, str]:
    """Returns the feed and its bearer token, shown once (only a hash is kept)."""
    token = secrets.token_urlsafe(32)
    feed = DeviceFeed.objects.create(
        project=project, name=name, token_hash=_token_hash(token), token_hint=token[-6:]
    )
    return feed, token


def device_feed_authenticate(*, token: str) -> DeviceFeed | None:
    if not token:
        return None
    feed = (
        DeviceFeed.objects.select_related("project")
        .filter(token_hash=_token_hash(token), active=True)
        .first()
    )
    if feed is not None:
        DeviceFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed


def device_feed_deactivate(*, feed: DeviceFeed) -> None:
    DeviceFeed.objects.filter(pk=feed.pk).update(active=False)


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


# ---------------------------------------------------------------- committee


def committee_member_create(*, data: dict[str, Any]) -> CommitteeMember:
    member = CommitteeMember(**data)
    member.full_clean()
    member.save()
    return member


def conflict_declare(
    *,
    member: CommitteeMember,
    project: Project,
    reason: str,
    declared_on: datetime.date | None = None,
) -> ConflictOfInterest:
    if not reason.strip():
        raise ValidationError(_("利害関係の内容を入力してください。"))
    conflict, _created = ConflictOfInterest.objects.update_or_create(
        member=member,
        project=project,
        defaults={"reason": reason.strip(), "declared_on": declared_on or timezone.localdate()},
    )
    return conflict


def review_submit(
    *,
    project: Project,
    member: CommitteeMember,
    kind: str,
    fiscal_year: int,
    score: Any,
    comment: str = "",
    recommendations: list[str] | None = None,
    reviewed_on: datetime.date | None = None,
    action_due_date: datetime.date | None = None,
) -> Review:
    """Stores a review and one improvement action per recommendation (all or nothing).

    A member who declared a conflict of interest with the project cannot score it.
    """
    if ConflictOfInterest.objects.filter(member=member, project=project).exists():
        raise ValidationError(
            _("%(name)s 委員はこの事業について利益相反を申告しているため、評価できません。")
            % {"name": member.name}
        )
    if not member.active:
        raise ValidationError(_("退任した委員は評価できません。"))
    try:
        score = int(score)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("評点は1〜5の整数で入力してください。")) from exc
    if not 1 <= score <= 5:
        raise ValidationError(_("評点は1〜5の整数で入力してください。"))
    if Review.objects.filter(
        project=project, member=member, kind=kind, fiscal_year=fiscal_year
    ).exists():
        raise ValidationError(_("この委員はこの年度の同じ種類の評価をすでに登録しています。"))
    review = Review(
        project=project,
        member=member,
        kind=kind,
        fiscal_year=fiscal_year,
        score=score,
        comment=comment.strip(),
        reviewed_on=reviewed_on or timezone.localdate(),
    )
    review.full_clean()
    with transaction.atomic():
        review.save()
        ImprovementAction.objects.bulk_create(
            [
                ImprovementAction(
                    review=review, recommendation=text.strip(), due_date=action_due_date
                )
                for text in (recommendations or [])
                if text.strip()
            ]
        )
    return review


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
            Project.Status.RUNNING: Project.Status.COMPLETED,
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
        threshold=_parse_value(indicator, threshold),  # type: ignore[misc]
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
) -> ReportFile:
    """Queues a report build on the worker; the file is kept for download."""
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
        fiscal_year=fiscal_year, quarter=quarter, ward=ward, format=fmt, created_by=created_by
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
