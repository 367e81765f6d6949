"""Existing projects in the new lifecycle and cost split.

- 実施中 ("running") becomes 実証 ("pilot"): the first underway step of 準備中 → 実証 → 本格導入 /
  継続 / 終了 / 中止; 完了 ("completed") keeps its value and reads 終了.
- Each project gets the first row of its status history: the status it has now, on its start
  day (or today for a project not started yet), marked as carried over.
- The three cost totals become contributions: 公的負担 the ward's money, 団体負担 and
  現物提供 the first organisation's (by name). Grants were not counted in 公的負担 before; they
  are now, so 公的負担 grows by the project's grants.
"""

from django.db import migrations
from django.db.models import Sum
from django.utils import timezone


def forward(apps, schema_editor):
    Project = apps.get_model("matching", "Project")
    StatusChange = apps.get_model("matching", "ProjectStatusChange")
    Contribution = apps.get_model("matching", "ProjectContribution")
    Grant = apps.get_model("matching", "Grant")
    Project.objects.filter(status="running").update(status="pilot")
    today = timezone.localdate()
    granted = dict(
        Grant.objects.values("project_id").annotate(total=Sum("amount")).values_list(
            "project_id", "total"
        )
    )
    for project in Project.objects.prefetch_related("organizations"):
        StatusChange.objects.create(
            project=project,
            from_status="",
            to_status=project.status,
            changed_on=min(project.start_date, today),
            note="移行時の状態",
        )
        if project.public_cost:
            Contribution.objects.create(project=project, cash=project.public_cost)
        first = min(project.organizations.all(), key=lambda org: org.name, default=None)
        if first is not None and (project.partner_cost or project.in_kind_value):
            Contribution.objects.create(
                project=project,
                organization=first,
                cash=project.partner_cost,
                in_kind=project.in_kind_value,
            )
        if granted.get(project.pk):
            Project.objects.filter(pk=project.pk).update(
                public_cost=project.public_cost + granted[project.pk]
            )


def backward(apps, schema_editor):
    Project = apps.get_model("matching", "Project")
    Grant = apps.get_model("matching", "Grant")
    for project_id, total in (
        Grant.objects.values("project_id").annotate(total=Sum("amount")).values_list(
            "project_id", "total"
        )
    ):
        project = Project.objects.get(pk=project_id)
        Project.objects.filter(pk=project_id).update(public_cost=max(0, project.public_cost - total))
    Project.objects.filter(status__in=["pilot", "adopted", "continuing"]).update(status="running")


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0011_project_lifecycle_costs_and_problems"),
    ]

    operations = [migrations.RunPython(forward, backward)]
