"""Screens of the advice sessions (個別相談会): the public list of free slots, the booker's page
(signed link: view, cancel), the coordinator's day and the slot form."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.access import AuthenticatedRequest, coordinator_required, public
from portal.bookings import booking_link_cancel, booking_link_open, day_text
from portal.formtools import form_add_service_errors, messages_service_errors
from portal.models import AccessLog, AdviceSlot, Ward
from portal.once import create_once, created_redirect
from portal.permissions import permission_or_refuse
from portal.services import access_log_record
from portal.support.advice import services
from portal.support.advice.forms import AdviceSlotForm


@public
def advice_slots(request: HttpRequest) -> HttpResponse:
    """Free advice-session slots, optionally of one ward; each leads to the consultation form."""
    wards = Ward.objects.order_by("code")
    ward = wards.filter(code=request.GET.get("ward", "")).first()
    slots = services.advice_slots_open(ward_id=ward.pk if ward else None)[:100]
    return render(
        request,
        "portal/advice/slots.html",
        {"slots": slots, "wards": wards, "ward": ward},
    )


@public
def advice_booking(request: HttpRequest, token: str) -> HttpResponse:
    """The booker's own page (from the signed link of their mail); POST cancels the booking.
    Opening the link changes nothing (mail scanners open links), only the button does."""
    found = booking_link_open(
        request,
        token,
        read=services.advice_booking_from_token,
        template="portal/advice/booking.html",
        log="advice link",
    )
    if isinstance(found, HttpResponse):
        return found
    if request.method == "POST":
        return booking_link_cancel(
            request,
            token,
            cancel=services.advice_booking_cancel,
            done=_("個別相談会のご予約を取り消しました。"),
        )
    booking = found
    live = booking.cancelled_at is None
    return render(
        request,
        "portal/advice/booking.html",
        {
            "booking": booking,
            "slot": booking.slot,
            "token": token,
            "live": live,
            "cancellable": live and timezone.now() < booking.slot.starts_at,
        },
    )


def _day(request: HttpRequest) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


@coordinator_required
def advice_day(request: AuthenticatedRequest) -> HttpResponse:
    """The coordinator's day: their ward's slots (every ward's for admins) and who booked."""
    day = _day(request)
    rows = services.advice_day(user=request.user, day=day)
    booked = sum(1 for _slot, booking in rows if booking)
    if booked:
        access_log_record(
            kind=AccessLog.Kind.VIEW_PERSONAL, request=request, detail=f"advice-day={day}"
        )
    one_day = datetime.timedelta(days=1)
    return render(
        request,
        "portal/advice/day.html",
        {
            "day": day,
            "day_label": day_text(day),
            "rows": rows,
            "booked": booked,
            "previous": (day - one_day).isoformat(),
            "next": (day + one_day).isoformat(),
            "today": timezone.localdate().isoformat(),
        },
    )


@coordinator_required
def advice_slot_create(request: AuthenticatedRequest) -> HttpResponse:
    form = AdviceSlotForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            once = create_once(
                request,
                form,
                name="portal:advice_slot_create",
                create=lambda: services.advice_slot_create(by=request.user, data=data),
                url=lambda slot: (
                    reverse("portal:advice_day")
                    + f"?date={timezone.localtime(slot.starts_at).date().isoformat()}"
                ),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return created_redirect(request, once, _("個別相談会の枠を公開しました。"))
    return render(request, "portal/advice/slot_form.html", {"form": form})


@require_POST
@coordinator_required
def advice_slot_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(AdviceSlot, pk=pk)
    # Another ward's slot is not there for this coordinator (404, as elsewhere).
    permission_or_refuse(request.user, "portal.manage_advice_slot", slot, hidden=True)
    day = timezone.localtime(slot.starts_at).date().isoformat()
    try:
        services.advice_slot_withdraw(slot=slot)
    except ValidationError as exc:
        messages_service_errors(request, exc)
    else:
        messages.success(request, _("枠を取り下げました。"))
    return redirect(reverse("portal:advice_day") + f"?date={day}")
