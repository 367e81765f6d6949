import pytest

from partners import demo
from partners.models import ContactPerson, Organization, OrgStatus, OrgType, Resource
from portal.choices import ResourceKind
from portal.registry import DemoContext
from tests.portal.factories import DEFAULT_PASSWORD


@pytest.mark.django_db
def test_demo_registry_is_rich_and_idempotent():
    ctx = DemoContext(seed=20260401, password=DEFAULT_PASSWORD, log=lambda message: None)
    demo.load(ctx)
    counts = (Organization.objects.count(), Resource.objects.count(), ContactPerson.objects.count())
    assert 140 <= counts[0] <= 160
    assert 280 <= counts[1] <= 330
    assert set(Organization.objects.values_list("org_type", flat=True)) >= {
        OrgType.COMPANY,
        OrgType.UNIVERSITY,
        OrgType.RESEARCH,
        OrgType.NPO,
    }
    assert set(Organization.objects.values_list("size", flat=True)) >= {
        "large",
        "sme",
        "national_public",
        "private",
        "small_group",
    }
    assert set(Resource.objects.values_list("kind", flat=True)) == set(ResourceKind.values)
    assert Organization.objects.filter(status=OrgStatus.PENDING).count() >= 3
    assert Organization.objects.exclude(search_text="").count() == counts[0]
    accounts = {username: note for _, username, note in ctx.accounts}
    assert accounts["partner"] == "株式会社みなとデジタルソリューションズ"
    assert accounts["partner2"] == "城南工業大学"
    demo.load(DemoContext(seed=20260401, password=DEFAULT_PASSWORD, log=lambda message: None))
    assert (
        Organization.objects.count(),
        Resource.objects.count(),
        ContactPerson.objects.count(),
    ) == counts
