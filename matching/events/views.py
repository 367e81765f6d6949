"""Screens for matching events, the public event pages, outsourced support and budgets."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from matching.events import selectors, services
from matching.events.forms import (
    CheckInForm,
    CloseForm,
    EventForm,
    ThemeForm,
)
from matching.events.ics import event_to_ics
from matching.events.models import Event, EventStatus, EventTheme, Invitation, InvitationStatus
from portal.access import (
    AuthenticatedRequest,
    HtmxRequest,
    coordinator_required,
    public,
    signed_in_required,
    staff_required,
)
from portal.formtools import form_add_service_errors, messages_service_errors
from portal.models import STAFF_ROLES, AccessLog, Role
from portal.once import already_created, create_once
from portal.permissions import permission_or_refuse
from portal.services import access_log_record


def _managed_event(request: AuthenticatedRequest, pk: int) -> Event:
    """An event the signed-in coordinator may run: own ward's, own, or any for admins."""
    event = get_object_or_404(Event, pk=pk)
    permission_or_refuse(request.user, "matching.manage_event", event)
    return event


def _month(request: HttpRequest) -> tuple[int, int]:
    value = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        datetime.date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.year, today.month
    return year, month


def _calendar_context(request: HttpRequest, *, public_only: bool) -> dict:
    view = request.GET.get("view", "list")
    context: dict = {
        "view": view,
        "public_only": public_only,
        "weekdays": [_("月"), _("火"), _("水"), _("木"), _("金"), _("土"), _("日")],
        "whens": [("upcoming", _("今後")), ("past", _("過去")), ("all", _("すべて"))],
    }
    if view == "month":
        year, month = _month(request)
        context["calendar"] = selectors.month_calendar(
            year=year, month=month, public_only=public_only
        )
    else:
        when = request.GET.get("when", "upcoming")
        context["when"] = when if when in {"upcoming", "past", "all"} else "upcoming"
        context["events"] = selectors.events_list(when=context["when"], public_only=public_only)
    return context


# --- staff: calendar, create, programme, invitations, check-in, close -----------------------


@staff_required
@vary_on_headers("HX-Request")
def event_list(request: AuthenticatedRequest) -> HttpResponse:
    context = _calendar_context(request, public_only=False)
    context["can_create"] = request.user.role in {Role.COORDINATOR, Role.ADMIN}
    context["figures"] = selectors.events_per_month(months=6)
    if request.htmx:
        return render(request, "matching/events/list.html#calendar", context)
    return render(request, "matching/events/list.html", context)


@coordinator_required
def event_create(request: AuthenticatedRequest) -> HttpResponse:
    initial = {"wards": [request.user.ward] if request.user.ward else []}
    form = EventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        wards = list(data.pop("wards"))
        data.pop("version", None)
        try:
            once = create_once(
                request,
                form,
                name="matching:event_create",
                create=lambda: services.event_create(
                    created_by=request.user, data=data, wards=wards
                ),
                url=lambda event: reverse("matching:event_programme", args=[event.pk]),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if once.repeated:
                return already_created(request, once)
            messages.success(request, _("イベントを作成しました。次にプログラムを組みます。"))
            return redirect(once.url)
    return render(request, "matching/events/form.html", {"form": form, "event": None})


@coordinator_required
def event_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = _managed_event(request, pk)
    form = EventForm(
        request.POST or None,
        instance=event,
        initial={"version": event.version, "wards": list(event.wards.all())},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        wards = list(data.pop("wards"))
        version = data.pop("version", None) or 0
        try:
            services.event_update(event=event, data=data, version=version, wards=wards)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("イベントを更新しました。"))
            return redirect("matching:event_detail", pk=event.pk)
    return render(request, "matching/events/form.html", {"form": form, "event": event})


@staff_required
def event_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.select_related("theme", "created_by"), pk=pk)
    invitations = event.invitations.select_related("user", "organization").order_by(
        "status", "waitlisted_at", "user__username"
    )
    pairs = event.pairs.select_related("issue", "organization", "resource", "proposal", "project")
    user = request.user
    can_manage = user.has_perm("matching.manage_event", event)
    counts = dict.fromkeys(InvitationStatus.values, 0)
    for invitation in invitations:
        counts[invitation.status] += 1
    return render(
        request,
        "matching/events/detail.html",
        {
            "event": event,
            "pairs": pairs,
            "invitations": invitations,
            "counts": counts,
            "can_manage": can_manage and event.status == EventStatus.OPEN,
            "is_closed": event.status == EventStatus.CLOSED,
            "wards": event.wards.all(),
        },
    )


@coordinator_required
def event_programme(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = _managed_event(request, pk)
    candidates = selectors.shortlisted_candidates(user=request.user)
    chosen = set(event.pairs.exclude(candidate=None).values_list("candidate_id", flat=True))
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("candidates") if v.isdigit()]
        try:
            services.event_programme_set(event=event, candidate_ids=ids)
        except ValidationError as exc:
            messages_service_errors(request, exc)
        else:
            messages.success(request, _("プログラムを保存しました。"))
            return redirect("matching:event_detail", pk=event.pk)
        chosen = set(ids)
    return render(
        request,
        "matching/events/programme.html",
        {"event": event, "candidates": candidates, "chosen": chosen},
    )


@require_POST
@coordinator_required
def event_invite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = _managed_event(request, pk)
    try:
        created = services.event_invite(event=event)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, _("%(n)s 人に招待を送りました。") % {"n": len(created)})
    return redirect("matching:event_detail", pk=event.pk)


@require_POST
@coordinator_required
def event_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = _managed_event(request, pk)
    try:
        services.event_cancel(event=event)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, _("イベントを中止し、招待者に知らせました。"))
    return redirect("matching:event_detail", pk=event.pk)


@coordinator_required
@vary_on_headers("HX-Request")
def event_checkin(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """On the day: the printable check-in list, and a box to enter each registrant's code."""
    event = _managed_event(request, pk)
    form = CheckInForm(request.POST or None)
    result: dict = {}
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.event_check_in(event=event, code=form.cleaned_data["code"])
        except ValidationError as exc:
            result = {"ok": False, "message": " ".join(exc.messages)}
        else:
            result = {
                "ok": True,
                "message": _("%(name)s さんを受け付けました。") % {"name": invitation.user},
            }
        if not request.htmx:
            (messages.success if result["ok"] else messages.error)(request, result["message"])
            return redirect("matching:event_checkin", pk=event.pk)
    registrants = selectors.event_registrants(event=event)
    access_log_record(
        kind=AccessLog.Kind.VIEW_PERSONAL, request=request, detail=f"event-checkin={event.pk}"
    )
    opens, closes = services.checkin_window(event)
    context = {
        "event": event,
        "form": CheckInForm() if result.get("ok") else form,
        "registrants": registrants,
        "result": result,
        "checked_in": sum(1 for r in registrants if r.checked_in_at),
        "window_opens": opens,
        "window_closes": closes,
    }
    if request.htmx:
        # The desk and, out of band, the roster: the list shows the check-in without a reload.
        return render(request, "matching/events/checkin.html#desk_and_roster", context)
    return render(request, "matching/events/checkin.html", context)


@coordinator_required
def event_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = _managed_event(request, pk)
    pairs = list(event.pairs.select_related("issue", "organization"))
    registrants = list(selectors.event_registrants(event=event))
    form = CloseForm(request.POST or None, pairs=pairs, registrants=registrants)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_close(
                event=event,
                minutes=form.cleaned_data["minutes"],
                attended_ids=form.attended_ids(),
                outcomes=form.outcomes(),
                follow_ups=form.follow_ups(),
                closed_by=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("イベントを終了し、結果を記録しました。"))
            return redirect("matching:event_detail", pk=event.pk)
    return render(request, "matching/events/close.html", {"event": event, "form": form})


@coordinator_required
def event_themes(request: AuthenticatedRequest) -> HttpResponse:
    form = ThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("テーマを追加しました。"))
        return redirect("matching:event_themes")
    return render(
        request,
        "matching/events/themes.html",
        {"form": form, "themes": EventTheme.objects.all()},
    )


# --- invitees --------------------------------------------------------------------------------


@signed_in_required
def my_invitations(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "matching/events/my_invitations.html",
        {"invitations": selectors.invitations_for(user=request.user), "now": timezone.now()},
    )


def _own_invitation(request: HttpRequest, pk: int) -> Invitation:
    # Someone else's invitation does not exist for this user (404, not 403).
    return get_object_or_404(Invitation.objects.select_related("event"), pk=pk, user=request.user)


@require_POST
@signed_in_required
def invitation_register(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    invitation = _own_invitation(request, pk)
    try:
        invitation = services.invitation_register(invitation=invitation)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        if invitation.status == InvitationStatus.REGISTERED:
            messages.success(
                request,
                _("参加登録が完了しました。受付コードは %(code)s です。")
                % {"code": invitation.checkin_code},
            )
        else:
            messages.warning(request, _("満席のため、キャンセル待ちに登録しました。"))
    return redirect("matching:event_my_invitations")


@require_POST
@signed_in_required
def invitation_decline(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    invitation = _own_invitation(request, pk)
    try:
        services.invitation_decline(invitation=invitation)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, _("不参加として登録しました。"))
    return redirect("matching:event_my_invitations")


# --- public pages and .ics --------------------------------------------------------------------


@public
@vary_on_headers("HX-Request")
def public_events(request: HtmxRequest) -> HttpResponse:
    context = _calendar_context(request, public_only=True)
    if request.htmx:
        return render(request, "matching/events/public_list.html#calendar", context)
    return render(request, "matching/events/public_list.html", context)


@public
def public_event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(
        Event.objects.select_related("theme").exclude(status=EventStatus.CANCELLED),
        pk=pk,
        public=True,
    )
    return render(
        request,
        "matching/events/public_detail.html",
        {"event": event, "wards": event.wards.all()},
    )


@public
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.select_related("theme"), pk=pk)
    user = request.user
    allowed = event.public or (
        user.is_authenticated
        and (user.role in STAFF_ROLES or event.invitations.filter(user=user).exists())
    )
    if not allowed:
        raise Http404
    response = HttpResponse(
        event_to_ics(event, host=request.get_host(), url=request.build_absolute_uri()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response
