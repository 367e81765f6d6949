from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("マッチング")

    def ready(self) -> None:
        from matching import demo, permissions, selectors  # noqa: F401  (permissions register)
        from matching.events import demo as events_demo
        from matching.projects import demo as projects_demo
        from portal import registry
        from portal.models import STAFF_ROLES, Role

        staff = [*STAFF_ROLES]
        registry.demo_loader_register(key="matching.engine", order=30, loader=demo.load)
        registry.demo_loader_register(key="matching.projects", order=42, loader=projects_demo.load)
        registry.menu_register(
            label=_("マッチング"), url_name="matching:home", roles=staff, order=300
        )
        registry.menu_register(
            label=_("提案"), url_name="matching:partner_proposals", roles=[Role.PARTNER], order=300
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
        events_demo.register()
