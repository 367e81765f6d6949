from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("ポータル")

    def ready(self) -> None:
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


def _health() -> dict[str, str]:
    from portal.selectors import health_status

    return health_status()
