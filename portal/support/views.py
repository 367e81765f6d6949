"""Screens of the help centre, the FAQ assistant and consultation requests (相談)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from portal.access import (
    AuthenticatedRequest,
    HtmxRequest,
    coordinator_required,
    public,
    staff_required,
)
from portal.models import (
    AccessLog,
    ConsultationRequest,
    ConsultationStatus,
    FaqCategory,
    FaqEntry,
    UnansweredQuestion,
)
from portal.once import create_once, created_redirect
from portal.ratelimit import client_address
from portal.services import access_log_record
from portal.support import services as support
from portal.support.advice import services as advice
from portal.support.forms import (
    AskForm,
    ConsultationForm,
    ConsultationUpdateForm,
    FaqCategoryForm,
    FaqEntryForm,
)


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- help centre and FAQ assistant ------------------------------------------------------------


@public
@vary_on_headers("HX-Request")
def help_centre(request: HtmxRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    context = {"query": query, "ask_form": AskForm()}
    if query:
        context["results"] = support.help_search(query=query)
    else:
        context["categories"] = support.faq_categories_with_entries()
    if request.htmx:
        return render(request, "portal/help/centre.html#results", context)
    return render(request, "portal/help/centre.html", context)


@public
def faq_entry(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(FaqEntry.objects.select_related("category"), pk=pk, published=True)
    return render(request, "portal/help/entry.html", {"entry": entry})


@public
@vary_on_headers("HX-Request")
def faq_ask(request: HtmxRequest) -> HttpResponse:
    """The FAQ assistant: best answers from the FAQ, or a hand-off to a consultation."""
    form = AskForm(request.POST or None)
    context: dict = {"ask_form": form}
    status = 200
    if request.method == "POST":
        if support.faq_ask_rate_limited(client=client_address(request)):
            context["limited"] = True
            status = 429
        elif form.is_valid():
            context["result"] = support.faq_assistant_answer(question=form.cleaned_data["q"])
    if request.htmx:
        return render(request, "portal/faq_box.html#answers", context, status=status)
    return render(request, "portal/help/ask.html", context, status=status)


@staff_required
def faq_manage(request: AuthenticatedRequest) -> HttpResponse:
    entries = FaqEntry.objects.select_related("category").order_by("category__order", "order")
    return render(
        request,
        "portal/help/manage.html",
        {
            "entries": entries,
            "categories": FaqCategory.objects.annotate(n=Count("entries")),
            "category_form": FaqCategoryForm(),
            "unanswered": UnansweredQuestion.objects.filter(
                faq_entry__isnull=True, dismissed=False
            ).count(),
        },
    )


@staff_required
def faq_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    entry = get_object_or_404(FaqEntry, pk=pk) if pk else None
    initial = {"version": entry.version} if entry else {}
    form = FaqEntryForm(request.POST or None, instance=entry, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            once = create_once(
                request,
                form,
                name="portal:faq_save",
                create=lambda: support.faq_entry_save(data=data, entry=entry, version=version),
                url=lambda _entry: reverse("portal:faq_manage"),
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            return created_redirect(request, once, _("FAQを保存しました。"))
    return render(request, "portal/help/edit.html", {"form": form, "entry": entry})


@require_POST
@staff_required
def faq_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(FaqEntry, pk=pk)
    support.faq_entry_delete(entry=entry)
    messages.success(request, _("FAQを削除しました。"))
    return redirect("portal:faq_manage")


@require_POST
@staff_required
def faq_category_add(request: AuthenticatedRequest) -> HttpResponse:
    form = FaqCategoryForm(request.POST)
    if form.is_valid():
        support.faq_category_save(
            name=form.cleaned_data["name"], order=form.cleaned_data["order"] or 100
        )
        messages.success(request, _("カテゴリを追加しました。"))
    else:
        for errors in form.errors.values():
            for error in errors:
                # ErrorList yields message strings; the stubs say ``ValidationError | str``.
                messages.error(request, cast(str, error))
    return redirect("portal:faq_manage")


@staff_required
def unanswered_list(request: AuthenticatedRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    questions = UnansweredQuestion.objects.select_related("faq_entry")
    if show == "open":
        questions = questions.filter(faq_entry__isnull=True, dismissed=False)
    page = Paginator(questions, 50).get_page(request.GET.get("page"))
    return render(request, "portal/help/unanswered.html", {"page": page, "show": show})


@staff_required
def unanswered_convert(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(UnansweredQuestion, pk=pk, faq_entry__isnull=True)
    form = FaqEntryForm(request.POST or None, initial={"question": question.text})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        support.unanswered_to_faq(question=question, data=data)
        messages.success(request, _("質問をFAQに追加しました。"))
        return redirect("portal:unanswered_list")
    return render(
        request, "portal/help/edit.html", {"form": form, "entry": None, "question": question}
    )


@require_POST
@staff_required
def unanswered_dismiss(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    support.unanswered_dismiss(question=get_object_or_404(UnansweredQuestion, pk=pk))
    return redirect("portal:unanswered_list")


# --- consultations ----------------------------------------------------------------------------


@public
def consultation_new(request: HttpRequest) -> HttpResponse:
    """The consultation form; an advice-session slot may be booked with it (?slot= preselects)."""
    initial = {"slot": request.GET.get("slot")} if request.GET.get("slot", "").isdigit() else {}
    form = ConsultationForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("website"):  # honeypot: pretend success, store nothing
            return redirect("portal:consultation_thanks")
        if support.consultation_rate_limited(client=client_address(request)):
            messages.error(
                request,
                _("短時間に多くの相談が送信されました。しばらくしてからもう一度お試しください。"),
            )
            return render(request, "portal/consult/form.html", {"form": form}, status=429)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("website", None)
            slot = data.pop("slot", None)
            try:
                once = create_once(
                    request,
                    form,
                    name="portal:consultation_new",
                    create=lambda: support.consultation_submit(
                        data=data, language=translation.get_language() or "", slot=slot
                    ),
                    url=lambda _consultation: reverse("portal:consultation_thanks"),
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                if once.created is not None:
                    request.session[THANKS_KEY] = _thanks(once.created)
                return redirect(once.url)
    return render(request, "portal/consult/form.html", {"form": form})


THANKS_KEY = "consultation_received"


def _thanks(consultation: ConsultationRequest) -> dict[str, str]:
    """What the thanks page shows: the 受付番号 and the booking's own page, if any."""
    booking = consultation.advice_bookings.filter(cancelled_at__isnull=True).first()
    return {
        "number": consultation.receipt_number,
        "booking": advice.booking_token(booking) if booking else "",
        "email": consultation.email,
    }


@public
def consultation_thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/consult/thanks.html", {"received": request.session.get(THANKS_KEY)}
    )


@coordinator_required
def consultation_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = support.consultations_for(user=request.user)
    if status in ConsultationStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/consult/list.html",
        {"page": page, "status": status, "statuses": ConsultationStatus.choices},
    )


@coordinator_required
def consultation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    consultation = support.consultations_for(user=request.user).filter(pk=pk).first()
    if consultation is None:
        raise Http404
    form = ConsultationUpdateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            once = create_once(
                request,
                form,
                name="portal:consultation-update",
                create=lambda: support.consultation_update(
                    consultation=consultation,
                    by=request.user,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                    assigned_to=form.cleaned_data["assigned_to"],
                ),
                url=lambda _done: reverse("portal:consultation_detail", args=[consultation.pk]),
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            return created_redirect(request, once, _("相談を更新しました。"))
    access_log_record(
        kind=AccessLog.Kind.VIEW_PERSONAL, request=request, detail=f"consultation={pk}"
    )
    history = consultation.history.select_related("history_user").order_by("-history_date")[:20]
    return render(
        request,
        "portal/consult/detail.html",
        {
            "item": consultation,
            "notes": consultation.notes.select_related("author"),
            "bookings": advice.consultation_bookings(consultation),
            "form": form,
            "history": history,
        },
    )
