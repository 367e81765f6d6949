"""Questionnaire screens.

Staff: the list with satisfaction per project and per ward, building a questionnaire, its page
(open / close, send to partners and staff, the public link and its QR code, results by ward).
Evaluators and admins build and send; every staff role reads the results.
Anyone with a link: the answer form (a personal link, or the public link / QR code for
residents). A link that cannot take an answer says why and stores nothing.
"""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from evaluation.forms import PeriodForm
from evaluation.questionnaires import forms, selectors, services
from evaluation.questionnaires.models import Questionnaire
from portal.access import AuthenticatedRequest, evaluator_required, public, staff_required
from portal.fiscal import fiscal_year_label
from portal.formtools import messages_form_errors, messages_service_errors
from portal.models import AccessLog, Ward
from portal.once import create_once, created_redirect
from portal.ratelimit import client_address, rate_limit_spent
from portal.services import access_log_record

# Answers by the public link per client address and minute: residents answering one after
# another on a venue's Wi-Fi (one address) stay well under it, a script filling the form does
# not (issue #15, fifth probe: 30 answers in 10 s from one address were all stored).
PUBLIC_ANSWERS_PER_MINUTE = 10


@staff_required
def questionnaire_list(request: AuthenticatedRequest) -> HttpResponse:
    period = PeriodForm(request.GET or None)
    fiscal_year, ward = period.period()
    return render(
        request,
        "evaluation/questionnaires/list.html",
        {
            "period": period,
            "fy_label": fiscal_year_label(fiscal_year),
            "ward": ward,
            "questionnaires": selectors.questionnaires_with_counts()[:200],
            "satisfaction": selectors.satisfaction_overview(fiscal_year=fiscal_year, ward=ward),
        },
    )


@evaluator_required
def questionnaire_create(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.QuestionnaireForm(request.POST or None, initial=request.GET.dict() or None)
    questions = forms.QuestionFormSet(
        request.POST or None,
        prefix="q",
        initial=None if request.POST else forms.starter_questions(),
    )
    if request.method == "POST":
        if form.is_valid() and questions.is_valid():
            try:
                once = create_once(
                    request,
                    form,
                    name="evaluation:questionnaire",
                    create=lambda: services.questionnaire_create(
                        data=form.cleaned_data,
                        questions=[q.cleaned_data for q in questions if q.cleaned_data],
                        created_by=request.user,
                    ),
                    url=lambda q: reverse("evaluation:questionnaire_detail", args=[q.pk]),
                )
            except ValidationError as exc:
                messages_service_errors(request, exc)
            else:
                return created_redirect(request, once, _("アンケートを作成しました（準備中）。"))
        else:
            messages_form_errors(request, form)
            for row in questions:
                messages_form_errors(request, row)
    return render(
        request, "evaluation/questionnaires/form.html", {"form": form, "questions": questions}
    )


@staff_required
def questionnaire_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    questionnaire = get_object_or_404(Questionnaire.objects.select_related("project__ward"), pk=pk)
    ward = Ward.objects.filter(code=request.GET.get("ward") or "").first()
    public_url = (
        request.build_absolute_uri(
            reverse("evaluation:questionnaire_public", args=[questionnaire.public_key])
        )
        if questionnaire.public_link
        else ""
    )
    return render(
        request,
        "evaluation/questionnaires/detail.html",
        {
            "questionnaire": questionnaire,
            "questions": list(questionnaire.questions.all()),
            "results": selectors.questionnaire_results(questionnaire=questionnaire, ward=ward),
            "ward": ward,
            "wards": Ward.objects.all(),
            "invited": questionnaire.invitations.count(),
            "answered": questionnaire.invitations.filter(answered_on__isnull=False).count(),
            "public_url": public_url,
            "editor": request.user.has_perm("evaluation.edit_evaluation"),
        },
    )


@require_POST
@evaluator_required
def questionnaire_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """open / close / send-partners / send-staff."""
    questionnaire = get_object_or_404(Questionnaire.objects.select_related("project"), pk=pk)
    try:
        if action in ("open", "close"):
            status = Questionnaire.Status.OPEN if action == "open" else Questionnaire.Status.CLOSED
            services.questionnaire_status_set(questionnaire=questionnaire, status=status)
            messages.success(
                request,
                _("状態を「%(s)s」にしました。") % {"s": questionnaire.get_status_display()},
            )
        elif action in ("send-partners", "send-staff"):
            group = services.PARTNERS if action == "send-partners" else services.STAFF
            sent = services.invitations_send(questionnaire=questionnaire, group=group)
            messages.success(
                request,
                ngettext(
                    "%(n)d人に回答のお願いを送りました。",
                    "%(n)d人に回答のお願いを送りました。",
                    sent,
                )
                % {"n": sent},
            )
        else:
            raise ValidationError(_("この操作はできません。"))
    except ValidationError as exc:
        messages_service_errors(request, exc)
    return redirect("evaluation:questionnaire_detail", pk=questionnaire.pk)


@staff_required
def questionnaire_qr(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The public link as a QR code (SVG), to print or show at an event."""
    questionnaire = get_object_or_404(Questionnaire, pk=pk, public_link=True)
    url = request.build_absolute_uri(
        reverse("evaluation:questionnaire_public", args=[questionnaire.public_key])
    )
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@staff_required
def questionnaire_poster(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A page to print or put on a screen at an event: the title, the QR code and the link."""
    questionnaire = get_object_or_404(Questionnaire, pk=pk, public_link=True)
    url = request.build_absolute_uri(
        reverse("evaluation:questionnaire_public", args=[questionnaire.public_key])
    )
    return render(
        request,
        "evaluation/questionnaires/poster.html",
        {"questionnaire": questionnaire, "public_url": url},
    )


# ---------------------------------------------------------------- answering (anyone with a link)


def _refused(request: HttpRequest, refusal: services.LinkRefused) -> HttpResponse:
    access_log_record(
        kind=AccessLog.Kind.DENIED, request=request, detail=f"questionnaire link {refusal.reason}"
    )
    status = 404 if refusal.reason == "invalid" else 410
    return render(
        request,
        "evaluation/questionnaires/refused.html",
        {"message": refusal.message},
        status=status,
    )


def _answer_page(
    request: HttpRequest,
    questionnaire: Questionnaire,
    respondent: services.Respondent,
    *,
    form_token: str = "",
) -> HttpResponse:
    questions = list(questionnaire.questions.all())
    form = forms.AnswerForm(request.POST if request.method == "POST" else None, questions=questions)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.response_submit(
                    questionnaire=questionnaire, respondent=respondent, answers=form.answers()
                )
            except services.LinkRefused as refusal:
                return _refused(request, refusal)
            except ValidationError as exc:
                messages_service_errors(request, exc)
            else:
                return render(
                    request,
                    "evaluation/questionnaires/thanks.html",
                    {"questionnaire": questionnaire},
                )
        else:
            messages_form_errors(request, form)
    response = render(
        request,
        "evaluation/questionnaires/answer.html",
        {"questionnaire": questionnaire, "form": form, "form_token": form_token},
    )
    response["Cache-Control"] = "no-store"  # the page holds a one-time token
    return response


@public
def questionnaire_answer(request: HttpRequest, token: str) -> HttpResponse:
    """A personal link (partners, staff): one answer."""
    try:
        invitation = services.invitation_from_token(token)
    except services.LinkRefused as refusal:
        return _refused(request, refusal)
    respondent = services.Respondent(
        respondent_type=invitation.respondent_type, invitation=invitation
    )
    return _answer_page(request, invitation.questionnaire, respondent)


@public
def questionnaire_public(request: HttpRequest, key: str) -> HttpResponse:
    """The public link / QR code (residents): each opening of the form takes one answer."""
    try:
        questionnaire = services.public_questionnaire(key)
        if request.method == "POST":
            if rate_limit_spent(
                scope="questionnaire-public",
                client=client_address(request),
                limit=PUBLIC_ANSWERS_PER_MINUTE,
                window=60,
            ):
                access_log_record(
                    kind=AccessLog.Kind.DENIED,
                    request=request,
                    detail="questionnaire public rate limit",
                )
                message = _("短時間に多くの回答が送信されました。しばらくしてからお試しください。")
                return render(
                    request,
                    "evaluation/questionnaires/refused.html",
                    {"message": message},
                    status=429,
                )
            token = request.POST.get("t", "")
            nonce = services.public_nonce(questionnaire, token)
        else:
            token = services.public_form_token(questionnaire)
            nonce = ""
    except services.LinkRefused as refusal:
        return _refused(request, refusal)
    respondent = services.Respondent(respondent_type="resident", public_nonce=nonce)
    return _answer_page(request, questionnaire, respondent, form_token=token)
