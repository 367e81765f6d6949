from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("企業・大学")

    def ready(self) -> None:
        from partners import demo, permissions  # noqa: F401  (permissions register)
        from portal import registry
        from portal.models import STAFF_ROLES, Role

        registry.demo_loader_register(key="partners.registry", order=10, loader=demo.load)
        registry.menu_register(
            label=_("企業・大学"), url_name="partners:registry", roles=STAFF_ROLES, order=200
        )
        registry.menu_register(
            label=_("自団体"), url_name="partners:my_org", roles=[Role.PARTNER], order=200
        )
        registry.menu_register(
            label=_("リソース"), url_name="partners:my_resources", roles=[Role.PARTNER], order=210
        )
        registry.menu_register(
            label=_("連携団体の登録"), url_name="partners:register", roles=["public"], order=200
        )
        registry.card_register(
            key="partners.pending",
            title=_("団体登録の審査"),
            template="partners/cards/pending.html",
            roles=[Role.COORDINATOR, Role.APPROVER, Role.ADMIN],
            context=_pending_card,
            order=20,
        )
        registry.card_register(
            key="partners.my_org",
            title=_("自団体の登録状況"),
            template="partners/cards/my_org.html",
            roles=[Role.PARTNER],
            context=_my_org_card,
            order=10,
        )


def _pending_card(user) -> dict:
    from django.db.models import Count, Q

    from partners.models import Organization, OrgStatus

    figures = Organization.objects.aggregate(
        pending=Count("pk", filter=Q(status=OrgStatus.PENDING)),
        changes=Count("pk", filter=Q(status=OrgStatus.CHANGES_REQUESTED)),
        approved=Count("pk", filter=Q(status=OrgStatus.APPROVED)),
    )
    return figures


def _my_org_card(user) -> dict:
    from django.db.models import Count, Q

    from partners.models import ResourceStatus
    from partners.selectors import organization_for_user

    org = organization_for_user(user)
    if org is None:
        return {"org": None}
    counts = org.resources.aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(status=ResourceStatus.ACTIVE))
    )
    return {"org": org, **counts}
