"""Screens for matching events, the public event pages, outsourced support and budgets."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from matching.events import residents, selectors, services
from matching.events.forms import (
    CheckInForm,
    CloseForm,
    EventForm,
    ResidentSignUpForm,
    ThemeForm,
)
from matching.events.ics import event_to_ics
from matching.events.models import (
    Event,
    EventStatus,
    EventTheme,
    Invitation,
    InvitationStatus,
)
from matching.events.notices import public_page_url, seat_token
from partners.models import Outreach
from partners.reach.services import LinkRefused, contact_link_find, join_refusal
from partners.reach.views import join_handle, link_refused, path_without_token
from portal.access import (
    AuthenticatedRequest,
    HtmxRequest,
    coordinator_required,
    public,
    signed_in_required,
    staff_required,
)
from portal.bookings import booking_link_cancel, booking_link_open, moment_text, when_text
from portal.formtools import form_add_service_errors, messages_service_errors
from portal.models import STAFF_ROLES, AccessLog, Role
from portal.once import already_created, create_once, created_redirect
from portal.permissions import permission_or_refuse
from portal.ratelimit import client_address
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
            return created_redirect(
                request, once, _("イベントを作成しました。次にプログラムを組みます。")
            )
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
    invitations = event.invitations.select_related("user", "contact", "organization").order_by(
        "status", "waitlisted_at", "user__username", "contact__name"
    )
    pairs = list(
        event.pairs.select_related("issue", "organization", "resource", "proposal", "project")
    )
    reach = {
        row.organization_id: row
        for row in Outreach.objects.filter(topic=Outreach.Topic.EVENT, topic_id=event.pk)
    }
    for pair in pairs:
        pair.reach = reach.get(pair.organization_id)
    user = request.user
    can_manage = user.has_perm("matching.manage_event", event)
    # People, not rows: a resident's party of three takes three seats.
    counts = dict.fromkeys(InvitationStatus.values, 0)
    for invitation in invitations:
        counts[invitation.status] += invitation.party_size
    # Residents' contacts are for the people who run the event (and the access log).
    sees_residents = can_manage and any(invitation.is_resident for invitation in invitations)
    if sees_residents:
        access_log_record(
            kind=AccessLog.Kind.VIEW_PERSONAL, request=request, detail=f"event-residents={pk}"
        )
    return render(
        request,
        "matching/events/detail.html",
        {
            "event": event,
            "pairs": pairs,
            "invitations": invitations,
            "counts": counts,
            "can_manage": can_manage and event.status == EventStatus.OPEN,
            "sees_residents": sees_residents,
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
            services.event_programme_set(event=event, candidate_ids=ids, user=request.user)
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
        outcome = services.event_invite(event=event, sent_by=request.user)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        if outcome.reached:
            messages.success(
                request,
                ngettext(
                    "%(n)s 団体に招待を送りました。",
                    "%(n)s 団体に招待を送りました。",
                    len(outcome.reached),
                )
                % {"n": len(outcome.reached)},
            )
        if outcome.unreachable:
            messages.error(
                request,
                ngettext(
                    "%(n)s 団体には連絡できる利用者も担当者もいないため、招待が届いていません: %(names)s",
                    "%(n)s 団体には連絡できる利用者も担当者もいないため、招待が届いていません: %(names)s",
                    len(outcome.unreachable),
                )
                % {"n": len(outcome.unreachable), "names": "、".join(outcome.unreachable)},
            )
        if not outcome.reached and not outcome.unreachable:
            messages.info(request, _("プログラムの団体にはすべて招待済みです。"))
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
            message = (
                _("%(name)s さん（%(n)s人）を受け付けました。")
                if invitation.party_size > 1
                else _("%(name)s さんを受け付けました。")
            )
            result = {
                "ok": True,
                "message": message % {"name": invitation.person, "n": invitation.party_size},
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
        # People, as the capacity counts them (a resident's party checks in together).
        "people": sum(r.party_size for r in registrants),
        "checked_in": sum(r.party_size for r in registrants if r.checked_in_at),
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


@public
def invitation_link(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """A contact's mailed invitation: the event, 参加する / 参加しない, and a member account."""
    event = get_object_or_404(Event.objects.select_related("theme"), pk=pk)
    try:
        link = contact_link_find(token=token, topic=Outreach.Topic.EVENT, topic_id=event.pk)
    except LinkRefused as refusal:
        return link_refused(request, refusal)
    invitation = (
        Invitation.objects.filter(event=event, contact_id=link.contact_id)
        .select_related("contact")
        .first()
    )
    if invitation is None:
        return link_refused(request, LinkRefused(_("この招待は取り消されています。"), "gone"))
    action = request.POST.get("action")
    if request.method == "POST" and action in {"register", "decline"}:
        answer = (
            services.invitation_register if action == "register" else services.invitation_decline
        )
        try:
            invitation = answer(invitation=invitation)
        except ValidationError as exc:
            access_log_record(
                kind=AccessLog.Kind.DENIED,
                request=request,
                detail=f"invitation={invitation.pk} {action} refused",
                path=path_without_token(request),
            )
            messages_service_errors(request, exc)
        else:
            messages.success(request, _("回答を受け付けました。"))
        return redirect(request.path)
    join_form, response = join_handle(
        request,
        link,
        done=reverse("matching:event_my_invitations"),
        then=services.invitations_claim,
    )
    if response is not None:
        return response
    seated = invitation.status in {InvitationStatus.REGISTERED, InvitationStatus.WAITLISTED}
    return render(
        request,
        "matching/events/invitation_link.html",
        {
            "event": event,
            "invitation": invitation,
            "link": link,
            "lines": services.event_lines(event, registered=seated),
            "open": event.status == EventStatus.OPEN
            and timezone.now() <= event.registration_deadline,
            "join_form": join_form,
            "can_join": join_refusal(link, request.user) is None,
        },
    )


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
    """A public event's page; when it takes residents, their sign-up form (no account)."""
    event = get_object_or_404(
        Event.objects.select_related("theme").exclude(status=EventStatus.CANCELLED),
        pk=pk,
        public=True,
    )
    refusal = residents.signup_refusal(event)
    form = None if refusal else ResidentSignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form is not None:
        if residents.signup_rate_limited(client=client_address(request)):
            messages.error(
                request,
                _("短時間に多くのお申し込みがありました。しばらくしてからもう一度お試しください。"),
            )
            status = 429
        elif form.is_valid():
            data = dict(form.cleaned_data)
            try:
                once = create_once(
                    request,
                    form,
                    name="matching:event_signup",
                    create=lambda: residents.resident_sign_up(
                        event=event, data=data, language=translation.get_language() or ""
                    ),
                    url=lambda invitation: reverse(
                        "matching:event_seat", args=[seat_token(invitation)]
                    ),
                )
            except residents.AlreadySignedUp as exc:
                residents.resident_confirmation_resend(invitation=exc.invitation)
                form_add_service_errors(form, exc)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                if once.repeated:
                    return already_created(request, once)
                assert once.created is not None
                _signed_up_message(request, once.created)
                return redirect(once.url)
    elif request.method == "POST":
        messages.error(request, refusal)
    return render(
        request,
        "matching/events/public_detail.html",
        {
            "event": event,
            "wards": event.wards.all(),
            "when": when_text(event.starts_at, event.ends_at),
            "deadline": moment_text(event.registration_deadline),
            "form": form,
            "refusal": refusal,
            "seats_left": services.seats_open(event),
        },
        status=status,
    )


def _signed_up_message(request: HttpRequest, invitation: Invitation) -> None:
    if invitation.status == InvitationStatus.REGISTERED:
        text = _("お申し込みを受け付けました。受付番号は %(code)s です。")
    else:
        text = _("満席のため、キャンセル待ちで受け付けました。受付番号は %(code)s です。")
    text %= {"code": invitation.checkin_code}
    if invitation.email:
        text += " " + _("確認のメールをお送りしました。")
    messages.success(request, text)


def _seat_or_refusal(request: HttpRequest, token: str) -> Invitation | HttpResponse:
    """The resident's place a signed link opens, or the page that says why it does not."""
    return booking_link_open(
        request,
        token,
        read=residents.resident_place,
        template="matching/events/seat.html",
        log="event-seat link",
    )


@public
def event_seat(request: HttpRequest, token: str) -> HttpResponse:
    """A resident's own sign-up, opened from the signed link of their mail; POST cancels it.

    The link names the place and its 受付番号; opening it changes nothing (mail scanners open
    links), only the button does.
    """
    found = _seat_or_refusal(request, token)
    if isinstance(found, HttpResponse):
        return found
    if request.method == "POST":
        return booking_link_cancel(
            request, token, cancel=residents.resident_cancel, done=_("お申し込みを取り消しました。")
        )
    invitation = found
    event = invitation.event
    holds_seat = invitation.status == InvitationStatus.REGISTERED
    return render(
        request,
        "matching/events/seat.html",
        {
            "invitation": invitation,
            "event": event,
            "token": token,
            "when": when_text(event.starts_at, event.ends_at),
            "meeting_url": event.meeting_url if holds_seat else "",
            "cancellable": invitation.status != InvitationStatus.DECLINED
            and event.status == EventStatus.OPEN
            and timezone.now() < event.starts_at,
        },
    )


def _ics_response(event: Event, *, with_meeting_url: bool, url: str) -> HttpResponse:
    response = HttpResponse(
        event_to_ics(event, with_meeting_url=with_meeting_url, url=url),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


@public
def event_seat_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The .ics of a resident's place: with the meeting URL while they hold a seat."""
    found = _seat_or_refusal(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _ics_response(
        found.event,
        with_meeting_url=found.status == InvitationStatus.REGISTERED,
        url=public_page_url(found.event),
    )


@public
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone gets a public event's .ics without the meeting URL; staff and invitees with a
    seat get it with the URL, and only they may have a non-public event's."""
    event = get_object_or_404(Event.objects.select_related("theme"), pk=pk)
    user = request.user
    staff = user.is_authenticated and user.role in STAFF_ROLES
    statuses = (
        set(event.invitations.filter(user=user).values_list("status", flat=True))
        if user.is_authenticated
        else set()
    )
    if not (event.public or staff or statuses):
        raise Http404
    seat_holder = InvitationStatus.REGISTERED in statuses
    return _ics_response(
        event,
        with_meeting_url=staff or seat_holder,
        url=public_page_url(event) if event.public else request.build_absolute_uri(),
    )
