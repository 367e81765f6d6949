from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("評価")

    def ready(self) -> None:
        from evaluation import cards, demo, permissions  # noqa: F401  (permissions register)
        from evaluation.dashboard import connect_invalidation
        from evaluation.public import selectors as public_selectors
        from portal import registry
        from portal.models import STAFF_ROLES, Role

        connect_invalidation()

        registry.demo_loader_register(key="evaluation.all", order=50, loader=demo.load)
        registry.menu_register(
            label=_("評価・KPI"), url_name="evaluation:dashboard", roles=STAFF_ROLES, order=60
        )
        registry.menu_register(
            label=_("事業の成果"), url_name="evaluation:projects", roles=[Role.PARTNER], order=60
        )
        registry.menu_register(
            label=_("評価結果（公開）"), url_name="evaluation:public", roles=["public"], order=60
        )
        registry.card_register(
            key="evaluation.kpi_summary",
            title=_("今年度のKPI"),
            template="evaluation/cards/kpi_summary.html",
            roles=[Role.EVALUATOR, Role.ADMIN],
            context=cards.kpi_summary,
            order=50,
        )
        registry.card_register(
            key="evaluation.continuation_due",
            title=_("継続状況の記録が必要な事業"),
            template="evaluation/cards/continuation_due.html",
            roles=[Role.COORDINATOR, Role.EVALUATOR],
            context=cards.continuation_due,
            order=55,
        )
        registry.card_register(
            key="evaluation.own_projects",
            title=_("自団体の連携事業と成果"),
            template="evaluation/cards/own_projects.html",
            roles=[Role.PARTNER],
            context=cards.own_projects,
            order=50,
        )
        registry.card_register(
            key="evaluation.public_results",
            title=_("公表した成果"),
            template="evaluation/cards/public_results.html",
            roles=["public"],
            context=lambda user: public_selectors.home_results(),
            order=30,
        )
        registry.section_register(
            page="issues.public_detail",
            key="evaluation.projects",
            template="evaluation/public_issue_projects.html",
            context=public_selectors.issue_projects,
            order=10,
        )
