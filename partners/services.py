"""Writes owned by partners: registration, review, merge, profile, contacts, resources, import."""

from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ForeignKey, ForeignObjectRel, ManyToManyField, Q
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from partners import resources as sheet
from partners.models import (
    ContactPerson,
    Membership,
    Organization,
    OrgStatus,
    OrgType,
    Resource,
    ResourceStatus,
)
from portal.history import history_stamp
from portal.identifiers import (
    corporate_number_key,
    email_key,
    organization_name_key,
    reference_key,
    search_text,
)
from portal.localtext import LocalText
from portal.locking import row_lock_current
from portal.mail import absolute_url, language_or_default, later, mail_template_send
from portal.models import Field, NoticeKind, Role, User, Ward
from portal.ratelimit import rate_limit_count, rate_limit_retry_at
from portal.services import notification_send
from portal.tabular import (
    ImportOutcome,
    Refusal,
    Sheet,
    cell_refusals,
    refusals_merged,
    refusals_worded,
)
from portal.textengine.embedding import texts_changed

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

REGISTRATION_RATE_LIMIT = 5
REGISTRATION_RATE_WINDOW = 60 * 60

ORG_FIELDS = [
    "name",
    "org_type",
    "size",
    "corporate_number",
    "postal_code",
    "address",
    "ward",
    "website",
    "csr_policy",
    "research_fields",
    "motives",
    "serves_all_wards",
    "past_collaborations",
]
# Shown by the resource screens and raised by every resource write (services below).
RESOURCES_LOCKED = gettext_lazy("団体の登録が承認されるまで、リソースは追加・変更できません。")


def organization_locked_reason(organization: Organization, *, pending: StrOrPromise) -> str:
    """Why `organization`'s members may not write (propose, report, edit resources), as they
    read it: the organisation's use suspended (and whom to contact), merged, rejected, or
    `pending` — the screen's own 「承認されるまで…」 text — while under review."""
    if organization.status == OrgStatus.SUSPENDED:
        return _(
            "団体の利用が停止されているため、この操作はできません。"
            "利用の再開については、区の地域連携窓口（お問い合わせ）にご連絡ください。"
        )
    if organization.status == OrgStatus.MERGED:
        return _("団体は統合済みのため、この操作はできません。統合先の団体としてご利用ください。")
    if organization.status == OrgStatus.REJECTED:
        return _("団体の登録が承認されなかったため、この操作はできません。")
    return str(pending)


RESOURCE_FIELDS = [
    "kind",
    "title",
    "description",
    "sdgs",
    "serves_all_wards",
    "capacity",
    "capacity_note",
    "available_from",
    "available_until",
    "academic_term",
    "conditions",
]
CONTACT_FIELDS = ["name", "role", "email", "phone"]


# --- search text ----------------------------------------------------------------------------


def organization_search_refresh(*, organization_ids: list[int]) -> None:
    """Recomputes the NFKC search text of these organisations (name, policies, resources)."""
    texts: dict[int, list[str]] = {}
    for org in Organization.objects.filter(pk__in=organization_ids).only(
        "pk", "name", "csr_policy", "research_fields"
    ):
        texts[org.pk] = [org.name, org.csr_policy, org.research_fields]
    rows = Resource.objects.filter(organization_id__in=list(texts)).values_list(
        "organization_id", "title", "description"
    )
    for org_id, title, description in rows:
        texts[org_id].extend([title, description])
    for org_id, parts in texts.items():
        Organization.objects.filter(pk=org_id).update(search_text=search_text(*parts))


# --- registration -----------------------------------------------------------------------------


def registration_retry_at(*, client: str) -> datetime.datetime | None:
    """When `client` may register again (aware UTC), or None if it may now.

    Only accepted registrations count (`registration_count`): a person correcting the form, or
    a university's shared address with several people at work, is not locked out by mistakes.
    """
    return rate_limit_retry_at(
        scope="partners-registration", client=client, limit=REGISTRATION_RATE_LIMIT
    )


def registration_count(*, client: str) -> None:
    rate_limit_count(scope="partners-registration", client=client, window=REGISTRATION_RATE_WINDOW)


def _username_for(email: str) -> str:
    base = "".join(ch for ch in email.split("@")[0].lower() if ch.isalnum() or ch in "._-")[:20]
    base = base or "partner"
    candidate = base
    while User.objects.filter(username=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate


def password_set_url(*, user: User) -> str:
    """The absolute, single-use set-password link of `user` (Django's token: it stops working
    once the password changes, and after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse("partners:password_set", kwargs={"uidb64": uid, "token": token}))


def _ref_new(organization: Organization) -> str:
    while True:
        ref = f"R{organization.pk:05d}-{secrets.token_hex(3).upper()}"
        if not Resource.objects.filter(ref=ref).exists():
            return ref


@dataclass(frozen=True)
class Registration:
    """What a registration did. The public answer is the same whatever it did (no one learns
    from it whether an address or a 法人番号 is known); `organization` is None when the
    address was already known (a user's or a contact's) and nothing was created."""

    name: str
    organization: Organization | None


def registration_submit(*, data: dict[str, Any]) -> Registration:
    """簡易登録: organisation (審査中), contact, partner user without password, first resource.

    A known e-mail address — a portal user's, or a contact person's of an organisation —
    creates nothing: its holder is mailed what to do (the public answer is the same). A known
    法人番号 is registered for review (staff see "same 法人番号 as …"), and the organisation that
    holds it is told. Reviewers get a notice; every mail leaves after commit.
    """
    email = email_key(data["contact_email"])
    # Compared as portal.identifiers folds them: ＴＡＮＡＫＡ@… is tanaka@…'s address.
    holder = User.objects.filter(email__iexact=email).first()
    if holder is not None:
        _known_address_mail(user=holder, organization_name=data["name"])
        return Registration(name=data["name"], organization=None)
    # A contact's address (an organisation without members, reached by mail) would otherwise
    # become a stranger's login, and the contact's own "activate an account" link would fail.
    contact = (
        ContactPerson.objects.filter(email__iexact=email)
        .exclude(organization__status=OrgStatus.MERGED)
        .select_related("organization")
        .first()
    )
    if contact is not None:
        _known_contact_mail(contact=contact, organization_name=data["name"])
        return Registration(name=data["name"], organization=None)
    # Stored in its one spelling, so the review's duplicate check (same 法人番号) finds the
    # organisation already registered however either was typed.
    corporate_number = corporate_number_key(data.get("corporate_number", ""))
    wards = list(data.get("resource_wards") or [])
    with transaction.atomic():
        organization = Organization.objects.create(
            name=data["name"],
            org_type=data["org_type"],
            size=data.get("size", ""),
            corporate_number=corporate_number,
            postal_code=data.get("postal_code", ""),
            address=data.get("address", ""),
            ward=data.get("ward"),
            website=data.get("website", ""),
            status=OrgStatus.PENDING,
        )
        ContactPerson.objects.create(
            organization=organization,
            name=data["contact_name"],
            role=data.get("contact_role", ""),
            email=email,
            phone=data.get("contact_phone", ""),
        )
        user = User(
            username=_username_for(email),
            email=email,
            role=Role.PARTNER,
            display_name=data["contact_name"],
            # The language the person registered in is the one they read the portal's mail in.
            language=language_or_default(translation.get_language() or ""),
        )
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, organization=organization)
        resource = Resource.objects.create(
            ref=_ref_new(organization),
            organization=organization,
            kind=data["resource_kind"],
            title=data["resource_title"],
            description=data["resource_description"],
            sdgs=sorted(set(data.get("resource_sdgs") or [])),
            serves_all_wards=not wards,
        )
        resource.fields.set(data.get("resource_fields") or [])
        resource.wards.set(wards)
        organization_search_refresh(organization_ids=[organization.pk])
        _registration_mail(user=user, org=organization, link=password_set_url(user=user))
        _same_number_mail(organization)
        _reviewers_notify(organization)
    return Registration(name=organization.name, organization=organization)


def _registration_mail(*, user: User, org: Organization, link: str) -> None:
    mail_template_send(
        to=user.email,
        template="portal/mail/notice",
        context={
            "name": user.display_name,
            "message": gettext_lazy("地域連携マッチングへの団体登録を受け付けました。"),
            "lines": [
                later(gettext_lazy("団体名: %(org)s"), org=org.name),
                later(gettext_lazy("ログインID: %(username)s"), username=user.username),
                gettext_lazy(
                    "次のリンクからパスワードを設定してください（有効期限があります）。"
                    "区の担当者が登録内容を確認し、承認されるとリソースの追加や公開が"
                    "できるようになります。"
                ),
            ],
            "link": link,
        },
        subject=gettext_lazy("団体登録の受付とパスワード設定のご案内"),
        recipient=user,
    )


def _known_address_mail(*, user: User, organization_name: str) -> None:
    mail_template_send(
        to=user.email,
        template="portal/mail/notice",
        context={
            "name": user.display_name or user.username,
            "message": later(
                gettext_lazy(
                    "このメールアドレスで、団体「%(org)s」の登録の申し込みがありました。"
                    "このアドレスは既にログインID「%(username)s」で登録されているため、"
                    "新しい登録はしていません。お心当たりがない場合は、このメールを破棄してください。"
                ),
                org=organization_name,
                username=user.username,
            ),
            "lines": [
                later(
                    gettext_lazy("パスワードを忘れた場合: %(reset)s"),
                    reset=absolute_url(reverse("portal:password_reset")),
                )
            ],
            "link": absolute_url(reverse("portal:login")),
        },
        subject=gettext_lazy("団体登録の申し込みについて"),
        recipient=user,
    )


def _known_contact_mail(*, contact: ContactPerson, organization_name: str) -> None:
    mail_template_send(
        to=contact.email,
        template="portal/mail/notice",
        context={
            "name": contact.name,
            "message": later(
                gettext_lazy(
                    "このメールアドレスで、団体「%(org)s」の登録の申し込みがありました。"
                    "このアドレスは既に団体「%(holder)s」の担当者として登録されているため、"
                    "新しい登録はしていません。%(holder)sのログインアカウントが必要な場合や、"
                    "別の団体を登録したい場合は、区の担当者にお問い合わせください。"
                    "お心当たりがない場合は、このメールを破棄してください。"
                ),
                org=organization_name,
                holder=contact.organization.name,
            ),
            "link": absolute_url(reverse("portal:contact")),
        },
        subject=gettext_lazy("団体登録の申し込みについて"),
    )


def _same_number_mail(organization: Organization) -> None:
    """Tell the contacts of the organisations already holding this 法人番号 that someone
    registered with it: each by name, in the portal's language (a contact has no account)."""
    if not organization.corporate_number:
        return
    holders = Organization.objects.filter(corporate_number=organization.corporate_number).exclude(
        Q(pk=organization.pk) | Q(status=OrgStatus.MERGED)
    )
    message = later(
        gettext_lazy(
            "貴団体と同じ法人番号（%(number)s）で、新しい団体登録の申し込みがありました"
            "（団体名: %(org)s）。区の担当者が重複を確認します。"
            "お心当たりがない場合は、区の担当者にお知らせください。"
        ),
        number=organization.corporate_number,
        org=organization.name,
    )
    for contact in ContactPerson.objects.filter(organization__in=holders).exclude(email=""):
        mail_template_send(
            to=contact.email,
            template="portal/mail/notice",
            context={"name": contact.name, "message": message},
            subject=gettext_lazy("同じ法人番号での登録申し込み"),
        )


NEW_REGISTRATION = gettext_noop("新しい団体登録の審査待ち: %(name)s")


def _reviewers_notify(organization: Organization, message: str = NEW_REGISTRATION) -> None:
    """Approvers and admins, and the coordinators of the organisation's ward, get `message`
    (a gettext_noop msgid naming the organisation as %(name)s, kept as a LocalText so each
    reads it in their language) as a notice, and by mail after commit."""
    reviewers = User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.APPROVER, Role.ADMIN])
        | Q(role=Role.COORDINATOR, ward=organization.ward_id, ward__isnull=False)
    )
    notification_send(
        recipients=list(reviewers),
        message=LocalText(message, {"name": organization.name}),
        url=reverse("partners:org_detail", args=[organization.pk]),
    )


# --- review -----------------------------------------------------------------------------------

REVIEW_ACTIONS = {
    "approve": OrgStatus.APPROVED,
    "changes": OrgStatus.CHANGES_REQUESTED,
    "reject": OrgStatus.REJECTED,
    "suspend": OrgStatus.SUSPENDED,
}


def organization_review(
    *, organization: Organization, action: str, reason: str, reviewed_by: User
) -> Organization:
    """Approve / ask for changes / reject / suspend, telling every member (notice + e-mail)."""
    if action not in REVIEW_ACTIONS:
        raise ValidationError(_("審査の操作が正しくありません。"))
    if organization.status == OrgStatus.MERGED:
        raise ValidationError(_("統合済みの団体は審査できません。"))
    reason = (reason or "").strip()
    if action != "approve" and not reason:
        raise ValidationError(_("理由を入力してください。団体の担当者に表示されます。"))
    status = REVIEW_ACTIONS[action]
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        organization.status = status
        organization.review_note = reason
        history_stamp(organization, reviewed_by)
        organization.save(update_fields=["status", "review_note", "updated_at"])
        members = [m.user for m in organization.members.select_related("user")]
        params = {"org": organization.name, "status": status.label, "reason": reason}
        message = LocalText(
            gettext_noop("団体「%(org)s」の審査結果: %(status)s — %(reason)s")
            if reason
            else gettext_noop("団体「%(org)s」の審査結果: %(status)s"),
            params,
        )
        if members:
            notification_send(
                recipients=members,
                message=message,
                url=reverse("partners:my_org"),
                kind=NoticeKind.REVIEW,
                # The reason is in the mail's text, not its subject.
                subject=later(gettext_lazy("団体の審査結果: %(status)s"), status=status.label),
            )
    return organization


def organization_update(
    *, organization: Organization, data: dict[str, Any], by: User, version: int | None = None
) -> None:
    """Save the profile; `version` from the form refuses a save over someone else's newer one."""
    with transaction.atomic():
        _organization_save(organization, data=data, by=by, version=version)


def registration_resubmit(
    *, organization: Organization, data: dict[str, Any], by: User, version: int | None = None
) -> Organization:
    """A member corrects a registration the ward answered with 修正依頼 and sends it back.

    `data`: the cleaned fields of OrganizationForm (the sign-up's identity checks). Saves them,
    sets 修正依頼中 → 審査中 (the history row records who resubmitted), and notifies the same
    reviewers as a new registration (after commit); a 法人番号 changed to one another
    organisation holds tells that organisation, as a new registration would. ValidationError
    (nothing changed) when the registration is no longer 修正依頼中 or the form is stale.
    """
    if "corporate_number" in data:
        data = {**data, "corporate_number": corporate_number_key(data["corporate_number"])}
    with transaction.atomic():
        # From the stored row: the form has already written its values onto `organization`.
        before = (
            Organization.objects.select_for_update()
            .values_list("corporate_number", flat=True)
            .get(pk=organization.pk)
        )
        saved = _organization_save(
            organization,
            data=data,
            by=by,
            version=version,
            status=OrgStatus.PENDING,
            reason="registration resubmitted",
        )
        if saved.corporate_number != before:
            _same_number_mail(saved)
        _reviewers_notify(saved, gettext_noop("修正された団体登録の審査待ち: %(name)s"))
    return saved


def _organization_save(
    organization: Organization,
    *,
    data: dict[str, Any],
    by: User,
    version: int | None,
    status: OrgStatus | None = None,
    reason: str = "",
) -> Organization:
    """Lock, check `version`, write `data` (ORG_FIELDS) and, when given, move from 修正依頼中
    to `status`; inside the caller's transaction. Returns the saved row."""
    organization = row_lock_current(organization, version=version)
    if status is not None:
        if organization.status != OrgStatus.CHANGES_REQUESTED:
            raise ValidationError(
                _("この登録は修正依頼中ではないため、再申請できません（現在: %(status)s）。")
                % {"status": organization.get_status_display()}
            )
        organization.status = status
    organization.version += 1
    for name in ORG_FIELDS:
        if name in data:
            setattr(organization, name, data[name])
    history_stamp(organization, by, reason)
    organization.full_clean(exclude=["merged_into"])
    organization.save()
    if "wards_served" in data:
        wards = [] if organization.serves_all_wards else list(data["wards_served"])
        organization.wards_served.set(wards)
    organization_search_refresh(organization_ids=[organization.pk])
    return organization


def organization_merge(
    *, survivor: Organization, duplicate: Organization, merged_by: User
) -> Organization:
    """Moves resources, members and contacts (and other apps' references) to the survivor.

    The duplicate stays as a 統合済み record pointing at the survivor, so nothing that
    referred to it is lost.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("同じ団体どうしは統合できません。"))
    if OrgStatus.MERGED in {survivor.status, duplicate.status}:
        raise ValidationError(_("統合済みの団体は統合できません。"))
    with transaction.atomic():
        Resource.objects.filter(organization=duplicate).update(organization=survivor)
        Membership.objects.filter(organization=duplicate).update(organization=survivor)
        ContactPerson.objects.filter(organization=duplicate).update(organization=survivor)
        _repoint_references(survivor=survivor, duplicate=duplicate)
        if not survivor.corporate_number and duplicate.corporate_number:
            survivor.corporate_number = duplicate.corporate_number
        history_stamp(survivor, merged_by)
        survivor.save()
        duplicate.status = OrgStatus.MERGED
        duplicate.merged_into = survivor
        duplicate.review_note = _("%(name)s（ID %(pk)d）に統合しました。") % {
            "name": survivor.name,
            "pk": survivor.pk,
        }
        history_stamp(duplicate, merged_by)
        duplicate.save()
        organization_search_refresh(organization_ids=[survivor.pk, duplicate.pk])
    return survivor


def _repoint_references(*, survivor: Organization, duplicate: Organization) -> None:
    """Other apps' foreign keys and many-to-many links to the duplicate now name the survivor.

    Found by introspection so that partners imports no app above it.
    """
    own = {Resource, Membership, ContactPerson, Organization}
    for relation in Organization._meta.get_fields(include_hidden=True):
        model = getattr(relation, "related_model", None)
        if not relation.auto_created or relation.concrete or model is None or model in own:
            continue
        if model._meta.auto_created or model.__name__.startswith("Historical"):
            continue  # many-to-many tables are handled below; history stays as it was
        # Auto-created and not concrete: a reverse relation, whose ``field`` is the FK/M2M.
        remote = cast(ForeignObjectRel, relation).field
        if isinstance(remote, ManyToManyField):
            for obj in model._default_manager.filter(**{remote.name: duplicate}):
                getattr(obj, remote.name).add(survivor)
                getattr(obj, remote.name).remove(duplicate)
        elif isinstance(remote, ForeignKey):
            manager = model._default_manager
            for pk in list(manager.filter(**{remote.name: duplicate}).values_list("pk", flat=True)):
                try:
                    with transaction.atomic():
                        manager.filter(pk=pk).update(**{remote.name: survivor})
                except IntegrityError:
                    # The survivor already has the same row (a unique pair): keep the survivor's.
                    manager.filter(pk=pk).delete()


# --- contacts ---------------------------------------------------------------------------------


# A registration under review may correct its contacts; an organisation stopped by staff may not.
CONTACTS_FROZEN = (OrgStatus.SUSPENDED, OrgStatus.REJECTED, OrgStatus.MERGED)


def _require_contacts_open(organization: Organization) -> None:
    if organization.status in CONTACTS_FROZEN:
        raise ValidationError(
            _("この団体は「%(status)s」のため、担当者を変更できません。")
            % {"status": organization.get_status_display()}
        )


def contact_save(
    *, organization: Organization, data: dict[str, Any], contact: ContactPerson | None = None
) -> ContactPerson:
    contact = contact or ContactPerson(organization=organization)
    if contact.organization_id != organization.pk:
        raise ValidationError(_("この担当者は編集できません。"))
    _require_contacts_open(organization)
    for name in CONTACT_FIELDS:
        setattr(contact, name, data.get(name, ""))
    contact.full_clean()
    contact.save()
    return contact


def contact_delete(*, contact: ContactPerson) -> None:
    _require_contacts_open(contact.organization)
    if contact.organization.contacts.count() <= 1:
        raise ValidationError(_("担当者は少なくとも1人必要です。"))
    contact.delete()


# --- resources --------------------------------------------------------------------------------


def _require_resources_editable(organization: Organization) -> None:
    if not organization.resources_editable:
        raise ValidationError(organization_locked_reason(organization, pending=RESOURCES_LOCKED))


def resource_save(
    *,
    organization: Organization,
    data: dict[str, Any],
    by: User,
    resource: Resource | None = None,
    version: int | None = None,
) -> Resource:
    _require_resources_editable(organization)
    with transaction.atomic():
        if resource is None:
            resource = Resource(organization=organization, ref=_ref_new(organization))
        elif resource.organization_id != organization.pk:
            raise ValidationError(_("このリソースは編集できません。"))
        else:
            resource = row_lock_current(resource, version=version)
            resource.version += 1
        for name in RESOURCE_FIELDS:
            if name in data:
                setattr(resource, name, data[name])
        history_stamp(resource, by)
        resource.full_clean()
        resource.save()
        if "fields" in data:
            resource.fields.set(data["fields"])
        if "wards" in data:
            resource.wards.set([] if resource.serves_all_wards else list(data["wards"]))
        texts_changed(resource_ids=[resource.pk])
        organization_search_refresh(organization_ids=[organization.pk])
    return resource


def resource_set_status(*, resource: Resource, status: str, by: User) -> Resource:
    if status not in ResourceStatus.values:
        raise ValidationError(_("状態が正しくありません。"))
    _require_resources_editable(resource.organization)
    resource.status = status
    history_stamp(resource, by)
    resource.save(update_fields=["status", "updated_at"])
    return resource


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportReport(ImportOutcome):
    rows: list[sheet.ParsedRow] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    organizations_created: int = 0


def resource_preview_row(row: sheet.ParsedRow) -> dict[str, Any]:
    """One checked row as the import screen's preview table lists it."""
    return {
        "line": row.line,
        "ref": row.ref,
        "organization": row.organization,
        "title": row.values.get("title", ""),
    }


def resources_check(*, dataset: Sheet) -> ImportReport:
    """Validates every row without writing; duplicate refs within the file are errors.

    Rows are numbered and columns named as the person sees them in their file."""
    report = ImportReport(note=dataset.note, ignored_columns=dataset.ignored_columns)
    wards = sheet.ward_lookup(Ward.objects.all())
    fields_by_name = sheet.field_lookup(Field.objects.all())
    refusals: list[Refusal] = []
    seen: dict[str, int] = {}
    for index, values in enumerate(dataset.dict):
        line = dataset.row_number(index)
        parsed, errors = sheet.row_parse(
            line=line, row=values, wards=wards, fields_by_name=fields_by_name, label=dataset.label
        )
        refusals.extend(errors)
        if parsed is None:
            continue
        key = reference_key(parsed.ref)
        if key in seen:
            refusals.append(
                (
                    line,
                    dataset.label("ref"),
                    _("整理番号「%(ref)s」が%(first)d行目と重複しています。")
                    % {"ref": parsed.ref, "first": seen[key]},
                )
            )
            continue
        seen[key] = line
        report.rows.append(parsed)
    refusals.extend(_organization_conflicts(report.rows, dataset.label))
    refusals.extend(_organization_changes(report.rows, dataset.label))
    # A cell that could not be read is refused once, not again for the empty value it left.
    report.errors = refusals_worded(refusals_merged(cell_refusals(dataset), refusals))
    if not report.rows and not report.errors:
        report.errors.append(_("データ行がありません。"))
    return report


@dataclass(frozen=True)
class _KnownOrganization:
    name: str
    org_type: str
    corporate_number: str
    where: str  # 登録済み, or the row of this file that named it first


def _organization_conflicts(rows: list[sheet.ParsedRow], label) -> list[Refusal]:
    """Rows whose organisation contradicts the one it would be attached to: a 法人番号 that
    belongs to an organisation of another name or 種別, or a name registered under another
    法人番号 (whether in the database or on an earlier row of the same file).

    Attaching by number alone put 「全く別の団体名」's resource under
    株式会社みなとデジタルソリューションズ with no warning (issue #15). Names are compared as
    portal.identifiers.organization_name_key, as registration does. Two queries per file.
    """
    live = Organization.objects.exclude(status=OrgStatus.MERGED).order_by("-pk")
    by_number: dict[str, _KnownOrganization] = {}
    by_name: dict[str, _KnownOrganization] = {}
    numbers = {parsed.corporate_number for parsed in rows if parsed.corporate_number}
    names = {organization_name_key(parsed.organization) for parsed in rows}
    stored = _("登録済みの団体")
    for org in live.filter(corporate_number__in=numbers):
        by_number[org.corporate_number] = _KnownOrganization(
            org.name, org.org_type, org.corporate_number, stored
        )
    for org in live.filter(name_key__in=names):
        by_name[org.name_key] = _KnownOrganization(
            org.name, org.org_type, org.corporate_number, stored
        )
    errors: list[Refusal] = []
    for parsed in rows:
        name_key = organization_name_key(parsed.organization)
        number = parsed.corporate_number
        known = by_number.get(number) if number else None
        if known is None:
            known = by_name.get(name_key)
        if known is None:
            here = _KnownOrganization(
                parsed.organization,
                parsed.org_type,
                number,
                _("%(row)d行目") % {"row": parsed.line},
            )
            by_name[name_key] = here
            if number:
                by_number[number] = here
            continue
        if organization_name_key(known.name) != name_key:
            errors.append(
                (
                    parsed.line,
                    label("corporate_number"),
                    _(
                        "法人番号 %(number)s は「%(org)s」（%(where)s）のものです。団体名「%(name)s」と一致しません。法人番号か団体名を確かめてください。"
                    )
                    % {
                        "number": number,
                        "org": known.name,
                        "where": known.where,
                        "name": parsed.organization,
                    },
                )
            )
        elif number and known.corporate_number and known.corporate_number != number:
            errors.append(
                (
                    parsed.line,
                    label("corporate_number"),
                    _(
                        "「%(org)s」（%(where)s）の法人番号は %(known)s です。この行の法人番号 %(number)s と一致しません。"
                    )
                    % {
                        "org": known.name,
                        "where": known.where,
                        "known": known.corporate_number,
                        "number": number,
                    },
                )
            )
        elif known.org_type != parsed.org_type:
            errors.append(
                (
                    parsed.line,
                    label("org_type"),
                    _(
                        "「%(org)s」（%(where)s）の種別は「%(known)s」です。この行の種別「%(type)s」と一致しません。"
                    )
                    % {
                        "org": known.name,
                        "where": known.where,
                        "known": OrgType(known.org_type).label,
                        "type": OrgType(parsed.org_type).label,
                    },
                )
            )
    return errors


def _organization_changes(rows: list[sheet.ParsedRow], label) -> list[Refusal]:
    """Rows that update a registered resource (same 整理番号) under another organisation.

    An import updates a resource; it never moves it to another organisation: a row naming
    DEMO-R0001 with 城南工業大学 silently took 株式会社みなとデジタルソリューションズ's
    resource away from it, its proposals still pointing at it (issue #15, fifth probe). Names
    are compared as portal.identifiers.organization_name_key. One query per file.
    """
    keys = {reference_key(parsed.ref) for parsed in rows}
    registered = {
        resource.ref_key: resource
        for resource in Resource.objects.filter(ref_key__in=keys).select_related("organization")
    }
    errors: list[Refusal] = []
    for parsed in rows:
        resource = registered.get(reference_key(parsed.ref))
        if resource is None:
            continue
        if resource.organization.name_key != organization_name_key(parsed.organization):
            errors.append(
                (
                    parsed.line,
                    label("organization"),
                    _(
                        "整理番号「%(ref)s」は「%(org)s」のリソースです。取り込みで団体を「%(name)s」に変えることはできません。団体名か整理番号を確かめてください。"
                    )
                    % {
                        "ref": resource.ref,
                        "org": resource.organization.name,
                        "name": parsed.organization,
                    },
                )
            )
    return errors


def resources_import(*, dataset: Sheet, imported_by: User | None) -> ImportReport:
    """All-or-nothing: when any row is wrong nothing is written and the report lists why."""
    report = resources_check(dataset=dataset)
    if not report.ok:
        return report
    with transaction.atomic():
        by_number: dict[str, Organization] = {}
        by_name: dict[str, Organization] = {}
        keys = [reference_key(parsed.ref) for parsed in report.rows]
        existing = {r.ref_key: r for r in Resource.objects.filter(ref_key__in=keys)}
        touched: set[int] = set()
        saved: list[int] = []
        for parsed in report.rows:
            org = _organization_match(parsed, by_number, by_name, report, imported_by)
            resource = existing.get(reference_key(parsed.ref))
            if resource is None:
                resource = Resource(ref=parsed.ref, organization=org)
                report.created += 1
            else:
                # The check refused a row naming another organisation (_organization_changes):
                # an update keeps the resource where it is.
                org = resource.organization
                report.updated += 1
            for name, value in parsed.values.items():
                setattr(resource, name, value)
            if imported_by is not None:
                history_stamp(resource, imported_by)
            resource.save()
            resource.wards.set(parsed.ward_ids)
            resource.fields.set(parsed.field_ids)
            touched.add(org.pk)
            saved.append(resource.pk)
        organization_search_refresh(organization_ids=sorted(touched))
        texts_changed(resource_ids=saved)
    return report


def _organization_match(
    parsed: sheet.ParsedRow,
    by_number: dict[str, Organization],
    by_name: dict[str, Organization],
    report: ImportReport,
    imported_by: User | None,
) -> Organization:
    live = Organization.objects.exclude(status=OrgStatus.MERGED)
    if parsed.corporate_number:
        if parsed.corporate_number in by_number:
            return by_number[parsed.corporate_number]
        org = live.filter(corporate_number=parsed.corporate_number).order_by("pk").first()
        if org is not None:
            by_number[parsed.corporate_number] = org
            return org
    name_key = organization_name_key(parsed.organization)
    if name_key in by_name:
        return by_name[name_key]
    org = live.filter(name_key=name_key).order_by("pk").first()
    if org is None:
        org = Organization(
            name=parsed.organization,
            org_type=parsed.org_type,
            corporate_number=parsed.corporate_number,
            status=OrgStatus.APPROVED,
        )
        if imported_by is not None:
            history_stamp(org, imported_by)
        org.save()
        report.organizations_created += 1
    elif parsed.corporate_number and not org.corporate_number:
        org.corporate_number = parsed.corporate_number
        org.save(update_fields=["corporate_number", "updated_at"])
    by_name[name_key] = org
    if org.corporate_number:
        by_number[org.corporate_number] = org
    return org
