import factory

from partners.models import ContactPerson, Membership, Organization, OrgStatus, OrgType, Resource
from portal.choices import ResourceKind
from tests.portal.factories import UserFactory


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"株式会社サンプル{n}")
    org_type = OrgType.COMPANY
    status = OrgStatus.APPROVED


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    ref = factory.Sequence(lambda n: f"RES-{n:05d}")
    organization = factory.SubFactory(OrganizationFactory)
    kind = ResourceKind.PEOPLE
    title = factory.Sequence(lambda n: f"高齢者見守りボランティアの派遣 {n}")
    description = "社員ボランティアが高齢者宅を定期的に訪問し、見守りと安否確認を行います。"
    capacity = 3


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"担当 太郎{n}")
    role = "CSR推進室"
    email = factory.Sequence(lambda n: f"contact{n}@example.co.jp")


def partner_user(organization: Organization, username: str):
    """A partner account that acts for `organization`."""
    user = UserFactory(username=username, role="partner", ward=None)
    Membership.objects.get_or_create(user=user, defaults={"organization": organization})
    return user
