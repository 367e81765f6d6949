from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("マッチング")

    def ready(self) -> None:
        from issues.models import Issue
        from issues.signals import issue_status_changed
        from matching import demo, permissions, selectors, tasks  # noqa: F401  (permissions)
        from matching.events import demo as events_demo
        from matching.offers import demo as offers_demo
        from matching.projects import demo as projects_demo
        from matching.proposals import selectors as proposal_selectors
        from matching.proposals import services as proposal_services
        from portal import registry
        from portal.models import STAFF_ROLES, Role
        from portal.textengine import embedding

        # Issues and partners announce saved texts; matching owns how they become documents.
        embedding.refresh_task_register(tasks.embeddings_refresh)
        # An issue that stops taking proposals closes its open ones (issues cannot import us).
        issue_status_changed.connect(
            proposal_services.proposals_close_for_issue,
            sender=Issue,
            dispatch_uid="matching.proposals.close_for_issue",
        )

        staff = [*STAFF_ROLES]
        registry.demo_loader_register(key="matching.engine", order=30, loader=demo.load)
        registry.demo_loader_register(key="matching.offers", order=35, loader=offers_demo.load)
        registry.demo_loader_register(key="matching.projects", order=42, loader=projects_demo.load)
        registry.menu_register(
            label=_("マッチング"), url_name="matching:home", roles=staff, order=300
        )
        registry.menu_register(
            label=_("提案"), url_name="matching:partner_proposals", roles=[Role.PARTNER], order=300
        )
        registry.menu_register(
            label=_("募集中の課題"),
            url_name="matching:partner_issues",
            roles=[Role.PARTNER],
            order=290,
        )
        registry.menu_register(
            label=_("やりとり"),
            url_name="matching:conversations",
            roles=[Role.PARTNER, Role.COORDINATOR, Role.APPROVER, Role.ADMIN],
            order=310,
        )
        registry.menu_register(
            label=_("連携事業"),
            url_name="matching:project_list",
            roles=[*staff, Role.PARTNER],
            order=350,
        )
        registry.card_register(
            key="matching.review",
            title=_("確認待ちのマッチング候補"),
            template="matching/cards/coordinator.html",
            roles=[Role.COORDINATOR],
            context=selectors.card_coordinator,
            order=20,
        )
        registry.card_register(
            key="matching.approvals",
            title=_("承認待ちのマッチング"),
            template="matching/cards/approver.html",
            roles=[Role.APPROVER, Role.ADMIN],
            context=selectors.card_approver,
            order=20,
        )
        registry.card_register(
            key="matching.proposals",
            title=_("回答待ちの提案"),
            template="matching/cards/partner.html",
            roles=[Role.PARTNER],
            context=selectors.card_partner,
            order=20,
        )
        registry.card_register(
            key="matching.unreachable",
            title=_("届いていない提案・招待"),
            template="matching/cards/unreachable.html",
            roles=[Role.COORDINATOR, Role.APPROVER, Role.ADMIN],
            context=proposal_selectors.card_unreachable,
            order=15,
        )
        registry.card_register(
            key="matching.public_events",
            title=_("参加できるイベント"),
            template="matching/cards/public_events.html",
            roles=["public"],
            context=_public_events_card,
            order=20,
        )
        events_demo.register()


def _public_events_card(user) -> dict:
    """The home page: the next public events (one query)."""
    from matching.events.selectors import events_list

    return {"upcoming": list(events_list(when="upcoming", public_only=True)[:3])}
