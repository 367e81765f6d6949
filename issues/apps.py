from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("地域課題")

    def ready(self) -> None:
        from issues import demo, permissions  # noqa: F401  (registers the app's permissions)
        from issues.selectors import caseload_provider
        from portal import registry
        from portal.models import STAFF_ROLES, Role

        staff = [*STAFF_ROLES]
        registry.demo_loader_register(key="issues.issues", order=20, loader=demo.load)
        registry.menu_register(
            label=_("地域課題"), url_name="issues:triage", roles=staff, order=100
        )
        registry.menu_register(label=_("地図"), url_name="issues:map", roles=staff, order=110)
        registry.menu_register(
            label=_("公開中の課題"),
            url_name="issues:public",
            roles=["public", Role.PARTNER],
            order=100,
        )
        registry.card_register(
            key="issues.my_ward",
            title=_("担当区の地域課題"),
            template="issues/cards/my_ward.html",
            roles=[Role.COORDINATOR, Role.APPROVER],
            context=_my_ward_card,
            order=10,
        )
        registry.card_register(
            key="issues.totals",
            title=_("地域課題データベース"),
            template="issues/cards/totals.html",
            roles=[Role.ADMIN, Role.EVALUATOR],
            context=_totals_card,
            order=10,
        )
        registry.card_register(
            key="issues.public",
            title=_("地域課題"),
            template="issues/cards/public.html",
            roles=["public"],
            context=_public_card,
            order=10,
        )
        if hasattr(registry, "caseload_provider_register"):
            registry.caseload_provider_register(key="issues.resolved", provider=caseload_provider)


def _status_rows(counts: dict[str, int]) -> list[dict]:
    from issues.models import IssueStatus

    return [
        {"value": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in IssueStatus
    ]


def _my_ward_card(user) -> dict:
    from issues.selectors import high_priority_unassigned, status_counts

    if user.ward_id is None:
        return {"ward": None}
    counts = status_counts(ward=user.ward)
    return {
        "ward": user.ward,
        "statuses": _status_rows(counts),
        "total": sum(counts.values()),
        "unassigned": high_priority_unassigned(ward=user.ward),
    }


def _totals_card(user) -> dict:
    from issues.selectors import HIGH_PRIORITY, high_priority_unassigned, status_counts

    counts = status_counts()
    return {
        "statuses": _status_rows(counts),
        "total": sum(counts.values()),
        "unassigned": high_priority_unassigned(),
        "threshold": HIGH_PRIORITY,
    }


def _public_card(user) -> dict:
    """The home page: how many issues are open, being worked on and solved; the latest open."""
    from issues.models import IssueStatus
    from issues.selectors import public_latest, status_counts

    counts = status_counts()
    return {
        "open": counts[IssueStatus.OPEN],
        "collaborating": counts[IssueStatus.COLLABORATING],
        "resolved": counts[IssueStatus.RESOLVED],
        "latest": public_latest(limit=3),
    }
