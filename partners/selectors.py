"""Reads owned by partners: the staff registry search, a partner's own organisation, exports."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from partners.models import ContactPerson, Membership, Organization, OrgStatus, Resource
from portal.identifiers import organization_name_key, search_words
from portal.models import User
from portal.sdgs import sdg_filter


def organization_for_user(user: User) -> Organization | None:
    """The organisation a partner acts for (None for staff or an unlinked account)."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = Membership.objects.select_related("organization").filter(user=user).first()
    return membership.organization if membership else None


def own_organization(user: User) -> Organization:
    organization = organization_for_user(user)
    if organization is None or organization.status == OrgStatus.MERGED:
        raise Http404
    return organization


def own_resource(user: User, pk: int) -> Resource:
    """A resource of the user's organisation; any other answers 404."""
    organization = own_organization(user)
    try:
        return Resource.objects.select_related("organization").get(pk=pk, organization=organization)
    except Resource.DoesNotExist as exc:
        raise Http404 from exc


def own_contact(user: User, pk: int) -> ContactPerson:
    organization = own_organization(user)
    try:
        return ContactPerson.objects.select_related("organization").get(
            pk=pk, organization=organization
        )
    except ContactPerson.DoesNotExist as exc:
        raise Http404 from exc


def resources_of(organization: Organization) -> QuerySet[Resource]:
    return (
        Resource.objects.filter(organization=organization)
        .prefetch_related("fields", "wards")
        .order_by("status", "-created_at")
    )


def pending_organizations() -> QuerySet[Organization]:
    return (
        Organization.objects.filter(status__in=[OrgStatus.PENDING, OrgStatus.CHANGES_REQUESTED])
        .select_related("ward")
        .annotate(resource_count=Count("resources"))
        .order_by("created_at")
    )


def pending_with_duplicates() -> list[Organization]:
    """The pending registrations, each with `.same_as`: the other live organisations with its
    法人番号 or its name as compared. Two queries whatever the number of registrations."""
    pending = list(pending_organizations())
    numbers = {org.corporate_number for org in pending if org.corporate_number}
    names = {org.name_key for org in pending}
    others = list(
        Organization.objects.filter(Q(corporate_number__in=numbers) | Q(name_key__in=names))
        .exclude(status=OrgStatus.MERGED)
        .only("pk", "name", "name_key", "corporate_number", "status")
        .order_by("pk")
    )
    for org in pending:
        org.same_as = [  # type: ignore[attr-defined]
            other
            for other in others
            if other.pk != org.pk
            and (
                (org.corporate_number and other.corporate_number == org.corporate_number)
                or other.name_key == org.name_key
            )
        ]
    return pending


def pending_count() -> int:
    return Organization.objects.filter(status=OrgStatus.PENDING).count()


def duplicate_candidates(organization: Organization) -> QuerySet[Organization]:
    """Organisations with the same 法人番号 or the same name as compared
    (portal.identifiers.organization_name_key) — likely duplicates."""
    q = Q(name_key=organization_name_key(organization.name))
    if organization.corporate_number:
        q |= Q(corporate_number=organization.corporate_number)
    return (
        Organization.objects.filter(q)
        .exclude(pk=organization.pk)
        .exclude(status=OrgStatus.MERGED)
        .order_by("name")
    )


def merge_targets(organization: Organization) -> QuerySet[Organization]:
    return (
        Organization.objects.exclude(pk=organization.pk)
        .exclude(status=OrgStatus.MERGED)
        .only("pk", "name", "status")
        .order_by("name")
    )


def registry_search(filters: dict[str, Any]) -> QuerySet[Organization]:
    """Organisations matching the staff filters; a fixed number of queries per page."""
    orgs = Organization.objects.exclude(status=OrgStatus.MERGED)
    if filters.get("org_type"):
        orgs = orgs.filter(org_type=filters["org_type"])
    if filters.get("size"):
        orgs = orgs.filter(size=filters["size"])
    if filters.get("status"):
        orgs = orgs.filter(status=filters["status"])
    resource_q = Q(organization=OuterRef("pk"))
    resource_filtered = False
    if filters.get("kind"):
        resource_q &= Q(kind=filters["kind"])
        resource_filtered = True
    if filters.get("field"):
        resource_q &= Q(fields=filters["field"])
        resource_filtered = True
    if filters.get("sdg"):
        resource_q &= sdg_filter("sdgs", int(filters["sdg"]))
        resource_filtered = True
    if resource_filtered:
        orgs = orgs.filter(Exists(Resource.objects.filter(resource_q)))
    ward = filters.get("ward")
    if ward:
        served = Organization.wards_served.through.objects.filter(
            organization_id=OuterRef("pk"), ward=ward
        )
        orgs = orgs.filter(
            Q(serves_all_wards=True)
            | Exists(served)
            | Exists(Resource.objects.filter(organization=OuterRef("pk"), wards=ward))
        )
    for word in search_words(filters.get("q", "")):
        orgs = orgs.filter(
            Q(search_text__contains=word)
            | Q(name__icontains=word)
            | Q(csr_policy__icontains=word)
            | Q(research_fields__icontains=word)
            | Exists(
                Resource.objects.filter(organization=OuterRef("pk")).filter(
                    Q(title__icontains=word) | Q(description__icontains=word)
                )
            )
        )
    return (
        orgs.select_related("ward")
        .defer("search_text")
        .annotate(
            resource_count=Count("resources", distinct=True),
        )
        .order_by("name", "pk")
    )


def registry_kinds(page_orgs: list[Organization]) -> dict[int, list[str]]:
    """The kinds of resource each listed organisation offers — one query for the page."""
    kinds: dict[int, list[str]] = {org.pk: [] for org in page_orgs}
    rows = (
        Resource.objects.filter(organization__in=list(kinds))
        .values_list("organization_id", "kind")
        .distinct()
        .order_by("organization_id", "kind")
    )
    for org_id, kind in rows:
        kinds[org_id].append(kind)
    return kinds


def resources_for_export() -> QuerySet[Resource]:
    return (
        Resource.objects.select_related("organization")
        .prefetch_related("wards", "fields")
        .order_by("ref")
    )


def organization_detail(pk: int) -> Organization:
    try:
        return (
            Organization.objects.select_related("ward", "merged_into")
            .prefetch_related("wards_served", "contacts")
            .get(pk=pk)
        )
    except Organization.DoesNotExist as exc:
        raise Http404 from exc


def organization_history(organization: Organization, limit: int = 30):
    return organization.history.select_related("history_user").order_by("-history_date")[:limit]


def resource_history(resource: Resource, limit: int = 30):
    return resource.history.select_related("history_user").order_by("-history_date")[:limit]
