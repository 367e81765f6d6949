from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("ポータル")

    def ready(self) -> None:
        # Imported for their receivers: the access-log entries of every login, and the start of
        # in-process background tasks once a response has gone.
        import portal.auth
        import portal.services  # noqa: F401
        from portal import registry
        from portal.demo import users as demo_users
        from portal.models import STAFF_ROLES, Role

        registry.demo_loader_register(key="portal.users", order=0, loader=demo_users.load)
        everyone = [*Role.values]
        registry.menu_register(
            label=_("ダッシュボード"), url_name="portal:dashboard", roles=everyone, order=0
        )
        registry.menu_register(
            label=_("アクセスログ"), url_name="portal:access_log", roles=[Role.ADMIN], order=900
        )
        registry.card_register(
            key="portal.welcome",
            title=_("ようこそ"),
            template="portal/cards/welcome.html",
            roles=everyone,
            order=0,
        )
        registry.card_register(
            key="portal.health",
            title=_("システムの状態"),
            template="portal/cards/health.html",
            roles=[r for r in STAFF_ROLES if r == Role.ADMIN],
            context=lambda user: {"status": _health()},
            order=990,
        )
        _register_coordination(registry)


def _register_coordination(registry) -> None:
    """Coordinator system, training, help centre and consultations (issue #6)."""
    from portal.coordinators.services import consultation_caseload
    from portal.demo import coordination as demo_coordination
    from portal.models import STAFF_ROLES, Role
    from portal.support.advice import demo as demo_advice

    staff = [*STAFF_ROLES]
    coordinators = [Role.COORDINATOR, Role.ADMIN]
    registry.demo_loader_register(
        key="portal.coordination", order=45, loader=demo_coordination.load
    )
    registry.demo_loader_register(key="portal.advice", order=46, loader=demo_advice.load)
    registry.caseload_provider_register(key="portal.consultations", provider=consultation_caseload)
    registry.menu_register(
        label=_("コーディネーター"), url_name="portal:coordinator_overview", roles=staff, order=600
    )
    registry.menu_register(
        label=_("研修・情報交換会"), url_name="portal:training_list", roles=staff, order=610
    )
    registry.menu_register(
        label=_("相談対応"), url_name="portal:consultation_list", roles=coordinators, order=620
    )
    registry.menu_register(
        label=_("個別相談会"), url_name="portal:advice_day", roles=coordinators, order=625
    )
    registry.menu_register(
        label=_("ヘルプ"),
        url_name="portal:help_centre",
        roles=[*Role.values, "public"],
        order=800,
    )
    registry.menu_register(
        label=_("相談する"),
        url_name="portal:consultation_new",
        roles=["public", Role.PARTNER],
        order=810,
    )
    registry.card_register(
        key="portal.my_caseload",
        title=_("担当案件"),
        template="portal/cards/caseload.html",
        roles=[Role.COORDINATOR],
        context=_my_caseload,
        order=40,
    )
    registry.card_register(
        key="portal.coordination",
        title=_("コーディネーター制度"),
        template="portal/cards/coordination.html",
        roles=[Role.ADMIN, Role.EVALUATOR, Role.APPROVER],
        context=_coordination_card,
        order=60,
    )
    registry.card_register(
        key="portal.support",
        title=_("相談・FAQ"),
        template="portal/cards/support.html",
        roles=coordinators,
        context=_support_card,
        order=70,
    )
    registry.card_register(
        key="portal.help",
        title=_("ヘルプ・相談窓口"),
        template="portal/cards/help.html",
        roles=[Role.PARTNER],
        order=90,
    )


def _my_caseload(user) -> dict:
    from portal.coordinators.services import TARGET_SUPPORTED_CASES, caseload_figures
    from portal.fiscal import current_fiscal_year

    fiscal_year = current_fiscal_year()
    figures = caseload_figures(user_ids=[user.pk], fiscal_year=fiscal_year).get(user.pk, {})
    return {"figures": figures, "target": TARGET_SUPPORTED_CASES, "fiscal_year": fiscal_year}


def _coordination_card(user) -> dict:
    from portal.fiscal import current_fiscal_year
    from portal.selectors import coordination_figures

    return {"figures": coordination_figures(fiscal_year=current_fiscal_year())}


def _support_card(user) -> dict:
    from portal.models import ConsultationStatus, UnansweredQuestion
    from portal.support.services import consultations_for

    return {
        "open_consultations": consultations_for(user=user)
        .exclude(status=ConsultationStatus.DONE)
        .count(),
        "unanswered": UnansweredQuestion.objects.filter(
            faq_entry__isnull=True, dismissed=False
        ).count(),
    }


def _health() -> dict[str, str]:
    from portal.selectors import health_status

    return health_status()
