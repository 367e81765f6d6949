"""Screens: public registration, partner self-service, staff review, registry, import/export."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from partners import selectors, services, tasks
from partners.forms import (
    ContactPersonForm,
    ImportForm,
    MergeForm,
    OrganizationForm,
    RegistrationForm,
    RegistrySearchForm,
    ResourceForm,
    ReviewForm,
)
from partners.models import OrgStatus, ResourceStatus
from partners.resources import COLUMNS, REQUIRED, resource_row
from portal.access import (
    AuthenticatedRequest,
    coordinator_required,
    partner_required,
    public,
    role_required,
    staff_required,
)
from portal.choices import ResourceKind
from portal.imports.services import import_job_start
from portal.imports.views import preview_shown, preview_upload
from portal.models import AccessLog, Role, User
from portal.once import already_created, create_once, created_redirect
from portal.ratelimit import client_address
from portal.services import access_log_record
from portal.tabular import csv_bytes, xlsx_bytes

PAGE_SIZE = 50
EXPORT_FORMATS = {"csv", "xlsx"}
reviewer_required = role_required(Role.COORDINATOR, Role.APPROVER, Role.ADMIN)
REGISTRATION_ORG_FIELDS = [
    "name",
    "org_type",
    "size",
    "corporate_number",
    "postal_code",
    "address",
    "ward",
    "website",
]


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- public registration ----------------------------------------------------------------------


@public
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    context = {
        "form": form,
        "org_fields": [form[name] for name in REGISTRATION_ORG_FIELDS],
        "contact_fields": [form[name] for name in form.fields if name.startswith("contact_")],
        "resource_fields": [form[name] for name in form.fields if name.startswith("resource_")],
    }
    if request.method == "POST":
        if request.POST.get("homepage"):  # honeypot: pretend success, store nothing
            return redirect("partners:register_done")
        client = client_address(request)
        retry_at = services.registration_retry_at(client=client)
        if retry_at is not None:
            messages.error(
                request,
                _(
                    "この接続元からの登録が1時間の上限に達しました。%(time)s 以降にもう一度"
                    "お送りください（入力内容はこの画面に残っています）。"
                )
                % {"time": date_format(timezone.localtime(retry_at), "TIME_FORMAT")},
            )
            return render(request, "partners/register.html", context, status=429)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("homepage", None)
            once = create_once(
                request,
                form,
                name="partners:register",
                create=lambda: services.registration_submit(data=data),
                url=lambda _registration: reverse("partners:register_done"),
            )
            if once.repeated:
                return already_created(request, once)
            services.registration_count(client=client)
            request.session["partners_registered"] = cast(services.Registration, once.created).name
            return redirect(once.url)
    return render(request, "partners/register.html", context)


@public
def register_done(request: HttpRequest) -> HttpResponse:
    name = request.session.pop("partners_registered", "")
    return render(request, "partners/register_done.html", {"organization_name": name})


@public
def password_set(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "partners/password_set.html", {"invalid": True}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            _("パスワードを設定しました。ログインID「%(u)s」でログインしてください。")
            % {"u": user.username},
        )
        return redirect("portal:login")
    return render(request, "partners/password_set.html", {"form": form, "account": user})


# --- partner self-service ---------------------------------------------------------------------


def _approved_or_status_page(request: AuthenticatedRequest):
    organization = selectors.own_organization(request.user)
    if organization.status != OrgStatus.APPROVED:
        return organization, redirect("partners:my_org")
    return organization, None


def _organization_saved(
    request: AuthenticatedRequest, form: OrganizationForm, save: Callable[..., object]
) -> bool:
    """A POSTed, valid `form` handed to `save` (services.organization_update or
    registration_resubmit) with its version and without the fields it shows disabled; a
    refusal of the service (a stale version…) becomes the form's error and False."""
    if request.method != "POST" or not form.is_valid():
        return False
    disabled = {name for name, field in form.fields.items() if field.disabled}
    try:
        save(
            organization=form.instance,
            data={k: v for k, v in form.cleaned_data.items() if k not in disabled},
            by=request.user,
            version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        form.add_error(None, _errors(exc))
        return False
    return True


@partner_required
def my_org(request: AuthenticatedRequest) -> HttpResponse:
    organization = selectors.own_organization(request.user)
    return render(
        request,
        "partners/my_org.html",
        {
            "org": organization,
            "contacts": organization.contacts.all(),
            "wards_served": organization.wards_served.all(),
            "resources": selectors.resources_of(organization),
            "history": selectors.organization_history(organization, limit=10),
        },
    )


@partner_required
def my_profile(request: AuthenticatedRequest) -> HttpResponse:
    organization = selectors.own_organization(request.user)
    if organization.status == OrgStatus.CHANGES_REQUESTED:
        # The ward asked for corrections: the profile page is where the member makes them.
        return _registration_revise(request, organization)
    organization, refused = _approved_or_status_page(request)
    if refused:
        return refused
    form = OrganizationForm(request.POST or None, instance=organization, partner=True)
    if _organization_saved(request, form, services.organization_update):
        messages.success(request, _("プロフィールを更新しました。"))
        return redirect("partners:my_org")
    return render(request, "partners/profile_form.html", {"form": form, "org": organization})


@partner_required
def my_registration(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A member of organisation `pk` (another organisation's answers 404): its registration,
    to correct and resubmit while the ward asks for changes (修正依頼中)."""
    organization = selectors.own_organization(request.user)
    if organization.pk != pk:
        raise Http404
    if organization.status != OrgStatus.CHANGES_REQUESTED:
        messages.info(request, _("この登録は修正依頼中ではありません。"))
        return redirect("partners:my_org")
    return _registration_revise(request, organization)


def _registration_revise(request: AuthenticatedRequest, organization) -> HttpResponse:
    """The ward's request (its reason) and the registration in the sign-up's own checks
    (OrganizationForm, identity fields editable); a valid POST resubmits it for review."""
    form = OrganizationForm(request.POST or None, instance=organization, registration=True)
    if _organization_saved(request, form, services.registration_resubmit):
        messages.success(request, _("登録内容を修正して再申請しました。区の担当者が確認します。"))
        return redirect("partners:my_org")
    if request.method == "POST":
        messages.error(request, _("入力内容を確認してください。登録内容は変更されていません。"))
    return render(
        request,
        "partners/registration_revise.html",
        {"form": form, "org": organization},
        status=400 if request.method == "POST" else 200,
    )


@partner_required
def contact_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    organization = selectors.own_organization(request.user)
    contact = selectors.own_contact(request.user, pk) if pk else None
    form = ContactPersonForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            once = create_once(
                request,
                form,
                name="partners:contact_save",
                create=lambda: services.contact_save(
                    organization=organization, data=form.cleaned_data, contact=contact
                ),
                url=lambda _contact: reverse("partners:my_org"),
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            return created_redirect(request, once, _("担当者を保存しました。"))
    return render(
        request,
        "partners/contact_form.html",
        {"form": form, "contact": contact, "org": organization},
    )


@require_POST
@partner_required
def contact_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    contact = selectors.own_contact(request.user, pk)
    try:
        services.contact_delete(contact=contact)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("担当者を削除しました。"))
    return redirect("partners:my_org")


@partner_required
def my_resources(request: AuthenticatedRequest) -> HttpResponse:
    organization = selectors.own_organization(request.user)
    return render(
        request,
        "partners/my_resources.html",
        {
            "org": organization,
            "resources": selectors.resources_of(organization),
            "locked_reason": services.organization_locked_reason(
                organization, pending=services.RESOURCES_LOCKED
            ),
        },
    )


@partner_required
def resource_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    resource = selectors.own_resource(request.user, pk) if pk else None
    organization = selectors.own_organization(request.user)
    if not organization.resources_editable:
        messages.error(
            request,
            services.organization_locked_reason(organization, pending=services.RESOURCES_LOCKED),
        )
        return redirect("partners:my_org")
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        try:
            once = create_once(
                request,
                form,
                name="partners:resource_save",
                create=lambda: services.resource_save(
                    organization=organization,
                    data=form.cleaned_data,
                    by=request.user,
                    resource=resource,
                    version=form.cleaned_data["version"],
                ),
                url=lambda saved: reverse("partners:resource_detail", args=[saved.pk]),
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            return created_redirect(request, once, _("リソースを保存しました。"))
    return render(
        request,
        "partners/resource_form.html",
        {"form": form, "resource": resource, "org": organization},
    )


@partner_required
def resource_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resource = selectors.own_resource(request.user, pk)
    return render(
        request,
        "partners/resource_detail.html",
        {
            "resource": resource,
            "org": resource.organization,
            "history": selectors.resource_history(resource),
            "statuses": ResourceStatus,
        },
    )


@require_POST
@partner_required
def resource_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    resource = selectors.own_resource(request.user, pk)
    try:
        services.resource_set_status(
            resource=resource, status=request.POST.get("status", ""), by=request.user
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request,
            _("リソースの状態を「%(s)s」にしました。") % {"s": resource.get_status_display()},
        )
    return redirect("partners:resource_detail", pk=resource.pk)


# --- staff: registry, review, merge -----------------------------------------------------------


@vary_on_headers("HX-Request")
@staff_required
def registry(request: AuthenticatedRequest) -> HttpResponse:
    form = RegistrySearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.registry_search(filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    kinds = selectors.registry_kinds(rows)
    labels = dict(ResourceKind.choices)
    for org in rows:
        org.kind_labels = [labels.get(code, code) for code in kinds.get(org.pk, [])]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
    }
    if request.htmx:
        return render(request, "partners/registry.html#results", context)
    return render(request, "partners/registry.html", context)


@reviewer_required
def pending(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "partners/pending.html", {"organizations": selectors.pending_with_duplicates()}
    )


@staff_required
def org_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_detail(pk)
    members = list(organization.members.select_related("user"))
    access_log_record(
        kind=AccessLog.Kind.VIEW_PERSONAL,
        request=request,
        detail=f"organization={organization.pk} contacts",
    )
    return render(
        request,
        "partners/org_detail.html",
        {
            "org": organization,
            "resources": selectors.resources_of(organization),
            "members": members,
            "member_emails": {m.user.email.lower() for m in members if m.user.email},
            "review_form": ReviewForm(),
            "merge_form": MergeForm(targets=selectors.merge_targets(organization)),
            "duplicates": selectors.duplicate_candidates(organization),
            "history": selectors.organization_history(organization),
        },
    )


@reviewer_required
def org_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_detail(pk)
    if organization.status == OrgStatus.MERGED:
        raise Http404
    form = OrganizationForm(request.POST or None, instance=organization)
    if _organization_saved(request, form, services.organization_update):
        messages.success(request, _("団体情報を更新しました。"))
        return redirect("partners:org_detail", pk=organization.pk)
    return render(request, "partners/org_form.html", {"form": form, "org": organization})


@require_POST
@reviewer_required
def org_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_detail(pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.organization_review(
                organization=organization,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
                reviewed_by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("審査結果を記録し、団体の担当者に通知しました。"))
            return redirect("partners:org_detail", pk=organization.pk)
    else:
        for errors in form.errors.values():
            for error in errors:
                # ErrorList yields message strings; the stubs say ``ValidationError | str``.
                messages.error(request, cast(str, error))
    return redirect("partners:org_detail", pk=organization.pk)


@require_POST
@reviewer_required
def org_merge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    duplicate = selectors.organization_detail(pk)
    form = MergeForm(request.POST, targets=selectors.merge_targets(duplicate))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                # ErrorList yields message strings; the stubs say ``ValidationError | str``.
                messages.error(request, cast(str, error))
        return redirect("partners:org_detail", pk=duplicate.pk)
    try:
        survivor = services.organization_merge(
            survivor=form.cleaned_data["survivor"], duplicate=duplicate, merged_by=request.user
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("partners:org_detail", pk=duplicate.pk)
    messages.success(
        request,
        _("「%(dup)s」を「%(sur)s」に統合しました。")
        % {"dup": duplicate.name, "sur": survivor.name},
    )
    return redirect("partners:org_detail", pk=survivor.pk)


# --- import / export --------------------------------------------------------------------------


@staff_required
def export_resources(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404
    rows = [resource_row(r) for r in selectors.resources_for_export()]
    access_log_record(
        kind=AccessLog.Kind.EXPORT, request=request, detail=f"resources {fmt} rows={len(rows)}"
    )
    if fmt == "xlsx":
        response = HttpResponse(
            xlsx_bytes(headers=COLUMNS, rows=rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(
            csv_bytes(headers=COLUMNS, rows=rows), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="resources.{fmt}"'
    return response


@coordinator_required
def import_resources(request: AuthenticatedRequest) -> HttpResponse:
    """Upload → preview (every row checked, nothing written; a large file by a job with a
    progress page) → confirm (a job, all or nothing)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form, "columns": COLUMNS, "required": REQUIRED}
    if request.method == "POST" and request.POST.get("token"):
        # Confirmed: the previewed file is imported by a background job (portal.imports).
        job = import_job_start(
            request=request,
            user=request.user,
            kind="resources",
            token=request.POST["token"],
            task=tasks.resources_import_job,
        )
        if job is None:
            messages.error(
                request, _("確認の有効期限が切れました。もう一度ファイルを選んでください。")
            )
            return redirect("partners:import")
        return redirect("portal:import_job", job.pk)
    if request.method == "GET" and "preview" in request.GET:
        # A large file's preview, checked by a job (portal.imports): shown as a small one's.
        shown = preview_shown(request, kind="resources")
        if isinstance(shown, HttpResponse):
            return shown
        context.update(shown)
        return render(request, "partners/import.html", context)
    if request.method == "POST" and form.is_valid():
        return preview_upload(
            request,
            form,
            kind="resources",
            task=tasks.resources_preview_job,
            read=tasks.resources_sheet,
            check=lambda dataset: services.resources_check(dataset=dataset),
            row=services.resource_preview_row,
            template="partners/import.html",
            context=context,
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "partners/import.html", context, status=status)
