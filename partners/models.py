"""Companies, universities, research institutes and NPOs, and the resources they offer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.choices import ResourceKind
from portal.identifiers import NormalizedKeyField, corporate_number_key, reference_key
from portal.locking import Versioned
from portal.models import Field, Ward

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OrgType(models.TextChoices):
    COMPANY = "company", _("企業")
    UNIVERSITY = "university", _("大学")
    RESEARCH = "research", _("研究機関")
    NPO = "npo", _("NPO・市民団体")
    PUBLIC = "public", _("公的機関")
    OTHER = "other", _("その他")


class OrgSize(models.TextChoices):
    LARGE = "large", _("大企業（従業員300人以上）")
    SME = "sme", _("中小企業")
    NATIONAL_PUBLIC = "national_public", _("国公立")
    PRIVATE = "private", _("私立")
    SMALL_GROUP = "small_group", _("小規模団体")
    OTHER = "other", _("その他")


class OrgStatus(models.TextChoices):
    PENDING = "pending", _("審査中")
    CHANGES_REQUESTED = "changes_requested", _("修正依頼中")
    APPROVED = "approved", _("承認済み")
    REJECTED = "rejected", _("却下")
    SUSPENDED = "suspended", _("利用停止")
    MERGED = "merged", _("統合済み")


RESOURCES_EDITABLE = frozenset({OrgStatus.APPROVED, OrgStatus.CHANGES_REQUESTED})


class Motive(models.TextChoices):
    CSR = "csr", _("CSR・社会貢献")
    NEW_MARKET = "new_market", _("新市場・新顧客開拓")
    TALENT = "talent", _("人材育成・採用")
    RESEARCH_FIELD = "research_field", _("研究フィールド")
    OTHER = "other", _("その他")


class Organization(Versioned):
    name = models.CharField(_("団体名"), max_length=200)
    org_type = models.CharField(_("種別"), max_length=20, choices=OrgType.choices)
    size = models.CharField(_("規模"), max_length=20, choices=OrgSize.choices, blank=True)
    corporate_number = models.CharField(_("法人番号"), max_length=13, blank=True, db_index=True)
    # The name as compared (portal.identifiers.organization_name_key): 「(株)青葉」 and
    # 「株式会社　青葉」 are one organisation to the duplicate check and the import.
    name_key = NormalizedKeyField(source="name", kind="organization_name", db_index=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("所在地"), max_length=300, blank=True)
    ward = models.ForeignKey(
        Ward, verbose_name=_("所在区"), null=True, blank=True, on_delete=models.PROTECT
    )
    website = models.URLField(_("ウェブサイト"), blank=True)
    csr_policy = models.TextField(_("CSR・社会貢献方針"), blank=True, max_length=5000)
    research_fields = models.TextField(_("研究分野"), blank=True, max_length=2000)
    motives = models.JSONField(_("連携の動機"), default=list, blank=True)
    serves_all_wards = models.BooleanField(_("全区で活動可能"), default=True)
    wards_served = models.ManyToManyField(
        Ward, verbose_name=_("活動できる区"), blank=True, related_name="+"
    )
    past_collaborations = models.TextField(_("過去の連携実績"), blank=True, max_length=5000)
    status = models.CharField(
        _("審査状況"),
        max_length=20,
        choices=OrgStatus.choices,
        default=OrgStatus.PENDING,
        db_index=True,
    )
    review_note = models.TextField(_("審査コメント"), blank=True, max_length=2000)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("統合先"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_duplicates",
    )
    # NFKC-normalised, lower-cased name, policies and resource texts for the registry search.
    search_text = models.TextField(blank=True, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["search_text", "name_key"])

    # Not a column: partners.views sets it on the registry rows it renders (annotation only).
    kind_labels: list[StrOrPromise]

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "org_type"], name="partners_org_status_type")]
        verbose_name = _("団体")
        verbose_name_plural = _("団体")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # One spelling per 法人番号 (portal.identifiers), so the lookups that match on it
        # (registration, import, duplicates) find it however it was typed into the admin.
        self.corporate_number = corporate_number_key(self.corporate_number)

    @property
    def is_approved(self) -> bool:
        return self.status == OrgStatus.APPROVED

    @property
    def resources_editable(self) -> bool:
        """Whether members may add, edit and pause resources: once approved, and while the
        ward asks for changes (修正依頼中), since its request may be about a resource; not
        while under review, rejected, suspended or merged."""
        return self.status in RESOURCES_EDITABLE

    @property
    def motive_labels(self) -> list[str]:
        labels = dict(Motive.choices)
        return [str(labels[m]) for m in self.motives or [] if m in labels]


class Membership(models.Model):
    """A partner user acting for an organisation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class ContactPerson(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("氏名"), max_length=100)
    role = models.CharField(_("役職・役割"), max_length=100, blank=True)
    email = models.EmailField(_("メール"))
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("担当者")
        verbose_name_plural = _("担当者")

    def __str__(self) -> str:
        return self.name


class LinkPurpose(models.TextChoices):
    ANSWER = "answer", _("提案・招待への回答")
    JOIN = "join", _("利用者アカウントの作成")


class ContactLink(models.Model):
    """A link mailed to one contact person of an organisation (partners.reach).

    Single-purpose: it answers one proposal or invitation (`topic`, `topic_id`; it may also
    create one member account) or only creates a member account (JOIN). Expiring
    (`expires_at`), and one-time where it creates an account (`joined_at`). Only the SHA-256
    of its random token is stored, so the table cannot be turned back into working links.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        ContactPerson, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    email = models.EmailField(_("送付先"))
    purpose = models.CharField(max_length=10, choices=LinkPurpose.choices)
    topic = models.CharField(max_length=20, blank=True)
    topic_id = models.PositiveIntegerField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    joined_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["topic", "topic_id"])]


class Outreach(models.Model):
    """That something was sent to an organisation, and how many people it reached.

    One row per (topic, topic_id, organisation): a proposal, or an event's invitation. Members
    are told in-app (and by mail as each chose); contacts are mailed a ContactLink when the
    organisation has no members. Neither (0 + 0) is "no reachable contact": a task for staff.
    """

    class Topic(models.TextChoices):
        PROPOSAL = "proposal", _("提案")
        EVENT = "event", _("イベントの招待")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="outreach"
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    topic_id = models.PositiveIntegerField()
    members = models.PositiveSmallIntegerField(_("届いた利用者"), default=0)
    contacts = models.PositiveSmallIntegerField(_("メールした担当者"), default=0)
    sent_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "topic_id", "organization"], name="unique_outreach"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.topic_id} → {self.organization_id}"

    @property
    def reached(self) -> int:
        return self.members + self.contacts


class ResourceStatus(models.TextChoices):
    ACTIVE = "active", _("提供中")
    PAUSED = "paused", _("一時停止")
    RETIRED = "retired", _("終了")


# 受入可能件数: how many projects a resource takes on at once. Whether it accepts at all is its
# 状態 (一時停止 stops it): a 0 here shown as 提供中 told partners and staff two things at once
# (issue #15), so 0 is refused with the way to stop. 999 is far above any resource's real load
# and keeps a typo (a phone number in the box) out.
CAPACITY_MIN, CAPACITY_MAX = 1, 999
CAPACITY_MESSAGE = _(
    "受入可能件数は1〜999の整数にしてください。受け入れを止めるときは、状態を「一時停止」にしてください。"
)


class Resource(Versioned):
    ref = models.CharField(_("整理番号"), max_length=40, unique=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("団体"), on_delete=models.CASCADE, related_name="resources"
    )
    kind = models.CharField(_("リソースの種類"), max_length=20, choices=ResourceKind.choices)
    title = models.CharField(_("タイトル"), max_length=200)
    description = models.TextField(_("内容"), max_length=5000)
    fields = models.ManyToManyField(Field, verbose_name=_("分野"), blank=True, related_name="+")
    sdgs = models.JSONField(_("SDGs"), default=list, blank=True)
    serves_all_wards = models.BooleanField(_("全区対象"), default=True)
    wards = models.ManyToManyField(
        Ward, verbose_name=_("対象区"), blank=True, related_name="resources"
    )
    capacity = models.PositiveIntegerField(
        _("受入可能件数"),
        default=1,
        validators=[
            MinValueValidator(CAPACITY_MIN, CAPACITY_MESSAGE),
            MaxValueValidator(CAPACITY_MAX, CAPACITY_MESSAGE),
        ],
    )
    capacity_note = models.CharField(_("規模（人数・金額など）"), max_length=200, blank=True)
    available_from = models.DateField(_("提供開始日"), null=True, blank=True)
    available_until = models.DateField(_("提供終了日"), null=True, blank=True)
    academic_term = models.CharField(_("学期"), max_length=50, blank=True)
    conditions = models.TextField(_("条件"), blank=True, max_length=2000)
    status = models.CharField(
        _("状態"),
        max_length=20,
        choices=ResourceStatus.choices,
        default=ResourceStatus.ACTIVE,
        db_index=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The ref as compared (portal.identifiers.reference_key); `ref` stays as given.
    ref_key = NormalizedKeyField(source="ref", unique=True)
    history = HistoricalRecords(m2m_fields=[wards], excluded_fields=["ref_key"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("リソース")
        verbose_name_plural = _("リソース")

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def validate_unique(self, exclude=None) -> None:
        # ref_key is filled on save; before that it says nothing, so the ref is checked here.
        exclude = set(exclude or ())
        super().validate_unique(exclude=exclude | {"ref_key"})
        if "ref" in exclude:
            return
        taken = Resource.objects.filter(ref_key=reference_key(self.ref)).exclude(pk=self.pk)
        if taken.exists():
            raise ValidationError({"ref": _("この整理番号は既に使われています。")})

    @property
    def is_active(self) -> bool:
        return self.status == ResourceStatus.ACTIVE
