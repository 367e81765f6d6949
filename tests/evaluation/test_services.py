import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from evaluation import measurements, services
from evaluation.committee import services as committee_services
from evaluation.models import (
    CaseStudy,
    Continuation,
    IndicatorDefinition,
    Measurement,
)
from evaluation.selectors import continuation_due, payment_statuses
from matching.projects.models import Project
from tests.evaluation.factories import (
    IndicatorFactory,
    MemberFactory,
    install_status_change_spy,
    rubric_scores,
)
from tests.issues.factories import field
from tests.matching.factories import ProjectFactory
from tests.portal.factories import wall_clock, ward


@pytest.fixture
def project(db):
    return ProjectFactory(
        start_date=datetime.date(2025, 6, 1),
        end_date=datetime.date(2026, 5, 31),
        ward=ward("13101"),
    )


def test_library_indicator_is_copied_and_custom_one_added(project):
    definition = IndicatorDefinition.objects.create(
        field=field("高齢者支援"), name="見守り訪問件数", level="output", unit="件", target=100
    )
    picked = services.project_indicator_add(project=project, definition=definition)
    assert (picked.name, picked.unit, picked.target) == ("見守り訪問件数", "件", 100)
    own = services.project_indicator_add(
        project=project, data={"name": "独自の指標", "level": "outcome", "kind": "qualitative"}
    )
    assert own.definition is None
    with pytest.raises(ValidationError, match="同じ名前"):
        services.project_indicator_add(project=project, definition=definition)


def test_measurement_for_an_indicator_of_another_project_is_refused(project):
    other = IndicatorFactory()
    with pytest.raises(ValidationError, match="この事業で使われていません"):
        measurements.measurement_record(
            project=project, indicator=other, measured_on="2025-07-01", value=3
        )
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("day", ["2025-05-31", "2026-06-01"])
def test_measurement_outside_the_project_period_is_refused(project, day):
    indicator = IndicatorFactory(project=project)
    with pytest.raises(ValidationError, match="事業期間"):
        measurements.measurement_record(
            project=project, indicator=indicator, measured_on=day, value=3
        )
    assert not Measurement.objects.exists()


def test_measurement_on_the_first_and_last_day_is_accepted(project):
    indicator = IndicatorFactory(project=project)
    measurements.measurement_record(
        project=project, indicator=indicator, measured_on="2025-06-01", value="1,200"
    )
    measurements.measurement_record(
        project=project, indicator=indicator, measured_on="2026-05-31", value=5
    )
    assert list(Measurement.objects.values_list("value", flat=True)) == [
        Decimal("1200.00"),
        Decimal("5.00"),
    ]


def test_quantitative_measurement_needs_a_number(project):
    indicator = IndicatorFactory(project=project)
    with pytest.raises(ValidationError, match="数値"):
        measurements.measurement_record(
            project=project, indicator=indicator, measured_on="2025-07-01", value="abc"
        )
    with pytest.raises(ValidationError, match="数値"):
        measurements.measurement_record(
            project=project, indicator=indicator, measured_on="2025-07-01"
        )


def test_csv_import_is_all_or_nothing_with_row_errors(project):
    indicator = IndicatorFactory(project=project, name="訪問件数")
    data = (
        "指標,測定日,値\n"
        "訪問件数,2025-07-01,10\n"
        "存在しない指標,2025-07-01,3\n"
        f"{indicator.pk},2024-01-01,4\n"
    ).encode("utf-8-sig")
    result = measurements.measurements_import_csv(project=project, data=data)
    assert not result.created
    assert len(result.errors) == 2
    assert result.errors[0].startswith("3行目")
    assert "4行目" in result.errors[1] and "事業期間" in result.errors[1]
    assert not Measurement.objects.exists()
    good = "indicator,date,value\n訪問件数,2025-07-01,10\n訪問件数,2025-08-01,12\n".encode("cp932")
    result = measurements.measurements_import_csv(project=project, data=good)
    assert not result.errors and len(result.created) == 2
    assert set(Measurement.objects.values_list("source", flat=True)) == {"csv"}


def test_csv_import_lists_a_formula_and_every_other_bad_row_at_once(project):
    # Issue #15: the formula in row 2 used to hide the unknown indicator in row 3.
    IndicatorFactory(project=project, name="訪問件数")
    data = "指標,測定日,値\n=1+1,2025-07-01,10\n存在しない指標,2025-07-01,3\n".encode()
    result = measurements.measurements_import_csv(project=project, data=data)
    assert len(result.errors) == 2, result.errors
    assert result.errors[0].startswith("2行目「指標」") and "数式" in result.errors[0]
    assert result.errors[1].startswith("3行目「指標」") and "存在しない指標" in result.errors[1]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("score", [0, 6, "x"])
def test_survey_score_outside_one_to_five_is_refused(project, score):
    with pytest.raises(ValidationError, match="1〜5"):
        services.survey_response_record(project=project, respondent_type="resident", score=score)


def test_improvement_action_flow_with_optimistic_locking(project):
    review = committee_services.review_submit(
        project=project,
        member=MemberFactory(),
        kind="midterm",
        fiscal_year=2025,
        scores=rubric_scores(3),
        recommendations=["周知を強化"],
    )
    action = review.actions.get()
    assert action.status == "open" and action.decided_on is None
    action = services.improvement_action_update(
        action=action,
        status="implemented",
        version=1,
        note="チラシを全戸配布",
        decided_on=datetime.date(2026, 1, 15),
    )
    assert (action.status, action.decided_on, action.version) == (
        "implemented",
        datetime.date(2026, 1, 15),
        2,
    )
    with pytest.raises(services.StaleEdit, match="ほかの人"):
        services.improvement_action_update(action=action, status="not_implemented", version=1)
    action.refresh_from_db()
    assert action.status == "implemented"
    action = services.improvement_action_update(action=action, status="not_implemented", version=2)
    assert action.decided_on is not None and action.history.count() >= 2


def test_continuation_flow_and_reminders(db, monkeypatch, coordinator):
    calls = install_status_change_spy(monkeypatch)
    today = datetime.date(2026, 11, 29)
    due_soon = ProjectFactory(title="もうすぐ1年", start_date=datetime.date(2025, 12, 20))
    overdue = ProjectFactory(title="2年経過", start_date=datetime.date(2024, 6, 1))
    ProjectFactory(title="まだ先", start_date=datetime.date(2026, 6, 1))
    ProjectFactory(
        title="中止", start_date=datetime.date(2024, 6, 1), status=Project.Status.CANCELLED
    )
    due = continuation_due(today=today)
    assert [(d["project"].title, d["years"], d["overdue"]) for d in due] == [
        ("2年経過", 1, True),
        ("もうすぐ1年", 1, False),
    ]
    services.continuation_record(project=overdue, years=1, state="continued", recorded_on=today)
    assert [(d["project"].title, d["years"]) for d in continuation_due(today=today)] == [
        ("2年経過", 2),
        ("もうすぐ1年", 1),
    ]
    assert calls == []  # 継続 leaves the project running
    services.continuation_record(
        project=overdue, years=2, state="ended", recorded_on=today, recorded_by=coordinator
    )
    assert calls == [{"project": overdue.pk, "status": "completed", "changed_by": coordinator}]
    assert Continuation.objects.filter(project=overdue).count() == 2
    # Too early: a 1-year record 10 months after the start is refused.
    with pytest.raises(ValidationError, match="2か月前から"):
        services.continuation_record(
            project=due_soon, years=1, state="continued", recorded_on=datetime.date(2026, 9, 1)
        )
    assert continuation_due(today=today)[0]["project"] == due_soon


def test_payment_due_from_measurements(project):
    visits = IndicatorFactory(project=project, name="訪問件数")
    isolated = IndicatorFactory(project=project, name="孤立世帯数", higher_is_better=False)
    services.payment_schedule_add(
        project=project,
        indicator=visits,
        threshold=100,
        amount=500_000,
        verification_date=datetime.date(2025, 12, 31),
    )
    services.payment_schedule_add(
        project=project,
        indicator=visits,
        threshold=200,
        amount=800_000,
        verification_date=datetime.date(2026, 3, 31),
    )
    services.payment_schedule_add(
        project=project,
        indicator=isolated,
        threshold=10,
        amount=300_000,
        verification_date=datetime.date(2026, 3, 31),
    )
    for day, value in [("2025-09-01", 80), ("2025-12-01", 120), ("2026-04-30", 250)]:
        measurements.measurement_record(
            project=project, indicator=visits, measured_on=day, value=value
        )
    measurements.measurement_record(
        project=project, indicator=isolated, measured_on="2026-03-01", value=9
    )
    statuses = payment_statuses(project=project, today=datetime.date(2026, 11, 29))
    assert [(s.state, s.due_amount) for s in statuses] == [
        ("achieved", 500_000),  # 120 by 31 Dec ≥ 100
        ("not_achieved", 0),  # 250 came after the verification date
        ("achieved", 300_000),  # 9 ≤ 10 (smaller is better)
    ]
    early = payment_statuses(project=project, today=datetime.date(2025, 10, 1))
    assert [s.state for s in early] == ["pending", "pending", "pending"]
    with pytest.raises(ValidationError, match="この事業で使われていません"):
        services.payment_schedule_add(
            project=project,
            indicator=IndicatorFactory(),
            threshold=1,
            amount=1,
            verification_date=datetime.date(2026, 1, 1),
        )


def test_case_reuse_by_another_ward_only(project):
    case = services.case_save(
        project=project,
        data={
            "kind": "best",
            "title": "見守りの輪",
            "summary": "概要",
            "success_factors": ["resident"],
        },
    )
    services.case_reuse_record(case=case, ward=ward("13112"))
    services.case_reuse_record(case=case, ward=ward("13112"))  # once per ward
    with pytest.raises(ValidationError, match="元の区"):
        services.case_reuse_record(case=case, ward=ward("13101"))
    assert CaseStudy.objects.get().reuses.count() == 1
    with pytest.raises(ValidationError):
        services.case_save(project=project, data={"kind": "best", "title": "", "summary": "x"})


def test_ended_continuation_of_a_project_that_never_started_cancels_it(db, monkeypatch):
    calls = install_status_change_spy(monkeypatch)
    project = ProjectFactory(start_date=datetime.date(2024, 6, 1), status=Project.Status.PREPARING)
    services.continuation_record(
        project=project, years=1, state="ended", recorded_on=datetime.date(2025, 6, 1)
    )
    project.refresh_from_db()
    assert project.status == Project.Status.CANCELLED
    assert [c["status"] for c in calls] == ["cancelled"]
    done = ProjectFactory(start_date=datetime.date(2024, 6, 1), status=Project.Status.COMPLETED)
    services.continuation_record(
        project=done, years=1, state="ended", recorded_on=datetime.date(2025, 6, 1)
    )
    assert len(calls) == 1  # already closed: no status change


def test_a_measurement_file_names_the_row_and_header_the_person_sees(project):
    # Issue #15 probe: a blank line and a ",," line before the bad row (file row 5) was
    # reported as 「3行目」 with no column.
    IndicatorFactory(project=project, name="訪問件数")
    data = "指標,測定日,値\n訪問件数,2025-07-01,10\n\n,,\n訪問件数,2025-07-03,-4\n".encode()
    result = measurements.measurements_import_csv(project=project, data=data)
    assert result.errors == ["5行目「値」: 指標「訪問件数」は負の値を取りません（-4.00）。"]
    data = "指標,測定日,値\n\n存在しない,2025-07-01,1\n訪問件数,2025-13-01,1\n".encode()
    result = measurements.measurements_import_csv(project=project, data=data)
    assert result.errors == [
        "3行目「指標」: 指標「存在しない」はこの事業にありません。",
        "4行目「測定日」: 日付は YYYY-MM-DD の形式で入力してください。",
    ]


def test_a_measurement_file_finds_indicators_by_folded_name_and_id(project):
    # 「健康ﾎﾟｲﾝﾄ参加者数」 (half-width katakana) and the id typed full-width were refused.
    indicator = IndicatorFactory(project=project, name="健康ポイント参加者数")
    other = IndicatorFactory(project=project, name="訪問件数")
    full_width_id = str(other.pk).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    data = (
        f"指標,測定日,値\n健康ﾎﾟｲﾝﾄ 参加者数,2025-07-01,10\n{full_width_id},2025-07-02,３\n"
    ).encode()
    result = measurements.measurements_import_csv(project=project, data=data)
    assert result.errors == []
    assert [(m.indicator, m.value) for m in result.created] == [
        (indicator, Decimal("10.00")),
        (other, Decimal("3.00")),
    ]


def test_a_measurement_file_finds_an_indicator_through_invisible_characters_and_dashes(project):
    # A zero-width space copied from a web page and a full-width dash left the row refused.
    indicator = IndicatorFactory(project=project, name="CO2削減量-前年比")
    data = "指標,測定日,値\n\u200bＣＯ２削減量－前年比\ufeff,2025-07-01,10\n".encode()
    result = measurements.measurements_import_csv(project=project, data=data)
    assert result.errors == []
    assert [m.indicator for m in result.created] == [indicator]


@pytest.mark.parametrize(
    "typed",
    [
        "健康ﾎﾟｲﾝﾄ参加者数",
        "健康ポイント 参加者数",
        "健康ポイント参加者数\u200b",
        "健康ポイント‐参加者数",
    ],
)
def test_a_second_indicator_with_the_same_folded_name_is_refused(project, typed):
    # Two names with one key: a file's row 「健康ﾎﾟｲﾝﾄ参加者数」 could land on either indicator.
    IndicatorFactory(
        project=project, name="健康ポイント-参加者数" if "‐" in typed else "健康ポイント参加者数"
    )
    with pytest.raises(ValidationError, match="同じ名前"):
        services.project_indicator_add(project=project, data={"name": typed, "level": "output"})
    assert project.indicators.count() == 1


def test_an_indicator_name_of_invisible_characters_only_is_refused(project):
    with pytest.raises(ValidationError, match="指標名を入力"):
        services.project_indicator_add(
            project=project, data={"name": "\u200b\u2060", "level": "output"}
        )
    assert not project.indicators.exists()


def test_uploading_the_same_measurement_file_again_adds_nothing(project):
    IndicatorFactory(project=project, name="訪問件数")
    data = "指標,測定日,値\n訪問件数,2025-07-01,10\n訪問件数,2025-07-02,11\n".encode()
    first = measurements.measurements_import_csv(project=project, data=data)
    assert (len(first.created), first.duplicates) == (2, 0)
    for _again in range(2):
        result = measurements.measurements_import_csv(project=project, data=data)
        assert (result.errors, len(result.created), result.duplicates) == ([], 0, 2)
    assert Measurement.objects.count() == 2
    more = data + "訪問件数,2025-07-03,12\n".encode()
    result = measurements.measurements_import_csv(project=project, data=more)
    assert (len(result.created), result.duplicates) == (1, 2)


def test_a_date_and_time_cell_is_the_day_the_person_saw(project):
    # Probe 4: 2026/10/4 23:59 in a measurement workbook answered HTTP 500 (datetime vs date).
    IndicatorFactory(project=project, name="訪問件数")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["指標", "測定日", "値"])
    sheet.append(["訪問件数", wall_clock(2025, 10, 4, 23, 59), 10])
    sheet["B2"].number_format = "yyyy/m/d h:mm"
    out = io.BytesIO()
    book.save(out)
    result = measurements.measurements_import_csv(project=project, data=out.getvalue())
    assert result.errors == []
    assert [m.measured_on for m in result.created] == [datetime.date(2025, 10, 4)]


def test_a_refused_note_is_not_refused_again_for_being_empty(project):
    IndicatorFactory(project=project, name="住民の声", kind="qualitative")
    data = "指標,測定日,定性評価\n住民の声,2025-07-01,ab\x1bcd\n".encode()
    result = measurements.measurements_import_csv(project=project, data=data)
    assert len(result.errors) == 1, result.errors
    assert result.errors[0].startswith("2行目「定性評価」") and "制御文字" in result.errors[0]
