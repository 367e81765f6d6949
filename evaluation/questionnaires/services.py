"""Writes of questionnaires: building, opening and closing, sending, and answering.

Links: a personal link carries a token signed with the site's secret (django.core.signing),
holding the invitation's id and its random nonce; the public link hands each visitor a signed
form token with a nonce of its own, valid for a day. Either is good for one answer: the
invitation is marked answered, the public nonce is claimed (portal.once) in the transaction that
stores the answer. A used, expired or altered link stores nothing and says why.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from evaluation.models import SatisfactionSurvey
from evaluation.questionnaires.models import (
    Answer,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireResponse,
)
from partners.models import Membership, OrgStatus
from portal.localtext import LocalText
from portal.models import STAFF_ROLES, NoticeKind, Role, User
from portal.once import AlreadySubmitted, receipt_claim
from portal.services import notification_send

INVITATION_SALT = "evaluation.questionnaire.invitation"
PUBLIC_SALT = "evaluation.questionnaire.public"
PUBLIC_TOKEN_SECONDS = 24 * 3600  # shorter than portal.once keeps a claimed nonce (7 days)
MAX_QUESTIONS = 30
MAX_CHOICES = 12
PARTNERS = "partners"
STAFF = "staff"


class LinkRefused(Exception):
    """A questionnaire link that cannot take an answer; ``message`` says why, for the person."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # for the access log: invalid / used / closed


@dataclass
class Respondent:
    """Who answers: through an invitation (partner / staff) or the public link (resident)."""

    respondent_type: str
    invitation: QuestionnaireInvitation | None = None
    public_nonce: str = ""


# ---------------------------------------------------------------- building


def _clean_questions(questions: list[dict[str, Any]]) -> list[Question]:
    rows = [q for q in questions if (q.get("text") or "").strip()]
    if not rows:
        raise ValidationError(_("設問を1つ以上入力してください。"))
    if len(rows) > MAX_QUESTIONS:
        raise ValidationError(_("設問は%(n)d問までです。") % {"n": MAX_QUESTIONS})
    built = []
    for order, row in enumerate(rows, start=1):
        kind = row.get("kind")
        if kind not in QuestionKind.values:
            raise ValidationError(_("回答の形式を選んでください。"))
        choices = [c.strip() for c in row.get("choices") or [] if c.strip()]
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            if not 2 <= len(choices) <= MAX_CHOICES or len(set(choices)) != len(choices):
                raise ValidationError(
                    _("「%(q)s」の選択肢は2〜%(n)d個、重複なく入力してください。")
                    % {"q": row["text"].strip(), "n": MAX_CHOICES}
                )
        else:
            choices = []
        satisfaction = bool(row.get("feeds_satisfaction"))
        if satisfaction and kind != QuestionKind.SCALE:
            raise ValidationError(_("満足度の設問は5段階評価の設問にしてください。"))
        built.append(
            Question(
                order=order,
                text=row["text"].strip(),
                kind=kind,
                choices=choices,
                required=bool(row.get("required")),
                feeds_satisfaction=satisfaction,
            )
        )
    if sum(q.feeds_satisfaction for q in built) > 1:
        raise ValidationError(_("満足度の設問は1つだけにしてください。"))
    return built


def questionnaire_create(
    *, data: dict[str, Any], questions: list[dict[str, Any]], created_by: User | None = None
) -> Questionnaire:
    """A questionnaire (準備中) with its questions, all or nothing.

    ``data``: title, intro, project (None = the platform), anonymous, public_link, closes_on.
    ``questions``: [{text, kind, choices (list of str), required, feeds_satisfaction}] in order;
    rows without text are skipped.
    """
    built = _clean_questions(questions)
    questionnaire = Questionnaire(
        title=data["title"],
        intro=data.get("intro", ""),
        project=data.get("project"),
        anonymous=bool(data.get("anonymous")),
        public_link=bool(data.get("public_link")),
        closes_on=data.get("closes_on"),
        public_key=secrets.token_urlsafe(16),
        created_by=created_by,
    )
    questionnaire.full_clean()
    with transaction.atomic():
        questionnaire.save()
        for question in built:
            question.questionnaire = questionnaire
        Question.objects.bulk_create(built)
    return questionnaire


def questionnaire_status_set(*, questionnaire: Questionnaire, status: str) -> Questionnaire:
    """準備中 → 回答受付中 → 締切 (and 締切 → 回答受付中 to reopen before the deadline)."""
    allowed: dict[str, set[str]] = {
        Questionnaire.Status.DRAFT: {Questionnaire.Status.OPEN},
        Questionnaire.Status.OPEN: {Questionnaire.Status.CLOSED},
        Questionnaire.Status.CLOSED: {Questionnaire.Status.OPEN},
    }
    if status not in allowed.get(questionnaire.status, set()):
        raise ValidationError(_("この状態には変更できません。"))
    if status == Questionnaire.Status.OPEN and _past_deadline(questionnaire):
        raise ValidationError(_("回答期限を過ぎています。期限を延ばしてから受付を始めてください。"))
    questionnaire.status = status
    questionnaire.version += 1
    questionnaire.save(update_fields=["status", "version"])
    return questionnaire


def _past_deadline(questionnaire: Questionnaire) -> bool:
    return bool(questionnaire.closes_on and timezone.localdate() > questionnaire.closes_on)


# ---------------------------------------------------------------- sending


def audience(*, questionnaire: Questionnaire, group: str) -> list[User]:
    """Who a questionnaire goes to.

    partners: the members of the project's organisations (of every approved organisation for
    the platform questionnaire); staff: the staff of the project's ward and its coordinator
    (every staff member for the platform questionnaire) — active accounts only.
    """
    project = questionnaire.project
    if group == PARTNERS:
        members = Membership.objects.filter(user__is_active=True, user__role=Role.PARTNER)
        if project is not None:
            members = members.filter(organization__in=project.organizations.all())
        else:
            members = members.filter(organization__status=OrgStatus.APPROVED)
        return [m.user for m in members.select_related("user").order_by("user__pk")]
    if group == STAFF:
        staff = User.objects.filter(is_active=True, role__in=STAFF_ROLES)
        if project is not None:
            own = Q(ward_id=project.ward_id) if project.ward_id else Q(pk__in=[])
            if project.coordinator_id:
                own |= Q(pk=project.coordinator_id)
            staff = staff.filter(own)
        return list(staff.distinct().order_by("pk"))
    raise ValidationError(_("送付先の値が不正です。"))


def invitation_url(invitation: QuestionnaireInvitation) -> str:
    token = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)
    return reverse("evaluation:questionnaire_answer", args=[token])


def invitations_send(*, questionnaire: Questionnaire, group: str) -> int:
    """Sends each person of ``group`` (PARTNERS or STAFF) not invited yet their personal link,
    as a notice in the portal and by mail (after commit); returns how many were invited."""
    if questionnaire.status != Questionnaire.Status.OPEN:
        raise ValidationError(_("回答受付中のアンケートだけを送付できます。"))
    invited = set(questionnaire.invitations.values_list("user_id", flat=True))
    people = [u for u in audience(questionnaire=questionnaire, group=group) if u.pk not in invited]
    respondent_type = "partner" if group == PARTNERS else "staff"
    with transaction.atomic():
        for user in people:
            invitation = QuestionnaireInvitation.objects.create(
                questionnaire=questionnaire,
                user=user,
                respondent_type=respondent_type,
                nonce=secrets.token_urlsafe(24),
            )
            url = invitation_url(invitation)
            # In the invitee's language, not the sender's (portal.mail.language_for).
            notification_send(
                recipients=[user],
                message=LocalText(
                    gettext_noop("アンケートへの回答のお願い: %(t)s"), {"t": questionnaire.title}
                ),
                url=url,
                lines=[
                    gettext_lazy(
                        "このリンクはあなた専用で、1回だけ回答できます。"
                        "ほかの方には転送しないでください。"
                    )
                ],
                kind=NoticeKind.GENERAL,
            )
    return len(people)


# ---------------------------------------------------------------- answering


def _answerable(questionnaire: Questionnaire) -> None:
    if questionnaire.status != Questionnaire.Status.OPEN or _past_deadline(questionnaire):
        raise LinkRefused(
            _("このアンケートの回答受付は終了しました。ご協力ありがとうございました。"),
            reason="closed",
        )


def invitation_from_token(token: str) -> QuestionnaireInvitation:
    """The invitation of a personal link that can still take its answer (else LinkRefused)."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
        invitation = QuestionnaireInvitation.objects.select_related(
            "questionnaire__project", "user"
        ).get(pk=int(payload["i"]))
    except (
        signing.BadSignature,
        KeyError,
        TypeError,
        ValueError,
        QuestionnaireInvitation.DoesNotExist,
    ):
        invitation = None
    if invitation is None or not secrets.compare_digest(
        str(payload.get("n", "")), invitation.nonce
    ):
        raise LinkRefused(
            _("このリンクは正しくありません。届いたメールのリンクをそのまま開いてください。"),
            reason="invalid",
        )
    if invitation.answered_on is not None:
        raise LinkRefused(
            _("このリンクからはすでに回答をいただいています（回答は1回だけです）。"),
            reason="used",
        )
    _answerable(invitation.questionnaire)
    return invitation


def public_questionnaire(key: str) -> Questionnaire:
    """The questionnaire of a public link (QR code) that takes answers (else LinkRefused)."""
    questionnaire = Questionnaire.objects.filter(public_key=key, public_link=True).first()
    if questionnaire is None:
        raise LinkRefused(_("このリンクは正しくありません。"), reason="invalid")
    _answerable(questionnaire)
    return questionnaire


def public_form_token(questionnaire: Questionnaire) -> str:
    """A one-answer form token for a visitor of the public link (good for a day)."""
    return signing.dumps({"q": questionnaire.pk, "n": secrets.token_hex(16)}, salt=PUBLIC_SALT)


def public_nonce(questionnaire: Questionnaire, token: str) -> str:
    try:
        payload = signing.loads(token, salt=PUBLIC_SALT, max_age=PUBLIC_TOKEN_SECONDS)
    except signing.SignatureExpired:
        raise LinkRefused(
            _("回答画面を開いてから時間がたちすぎました。もう一度リンクを開いてください。"),
            reason="expired",
        ) from None
    except signing.BadSignature:
        payload = {}
    if payload.get("q") != questionnaire.pk or not payload.get("n"):
        raise LinkRefused(_("このリンクは正しくありません。"), reason="invalid")
    return str(payload["n"])


def _respondent_ward(questionnaire: Questionnaire, respondent: Respondent):
    if questionnaire.project is not None:
        return questionnaire.project.ward
    user = respondent.invitation.user if respondent.invitation else None
    if user is None:
        return None
    if user.ward_id:
        return user.ward
    membership = getattr(user, "membership", None)
    return membership.organization.ward if membership else None


def response_submit(
    *, questionnaire: Questionnaire, respondent: Respondent, answers: dict[int, Any]
) -> QuestionnaireResponse:
    """Stores one set of answers ({question id: value}) for ``respondent``, all or nothing.

    The link is used up in the same transaction: an invitation already answered, or a public
    nonce already claimed, raises LinkRefused and nothing is stored. The satisfaction question's
    answer becomes a SatisfactionSurvey row (counted by the satisfaction KPIs).
    """
    questions = list(questionnaire.questions.all())
    today = timezone.localdate()
    with transaction.atomic():
        _answerable(questionnaire)
        invitation = respondent.invitation
        if invitation is not None:
            locked = QuestionnaireInvitation.objects.select_for_update().get(pk=invitation.pk)
            if locked.answered_on is not None:
                raise LinkRefused(
                    _("このリンクからはすでに回答をいただいています（回答は1回だけです）。"),
                    reason="used",
                )
            locked.answered_on = today
            locked.save(update_fields=["answered_on"])
        else:
            try:
                receipt_claim(
                    scope=f"questionnaire:{questionnaire.pk}", key=respondent.public_nonce
                )
            except AlreadySubmitted:
                raise LinkRefused(
                    _("この回答画面からはすでに回答をいただいています（回答は1回だけです）。"),
                    reason="used",
                ) from None
        response = QuestionnaireResponse.objects.create(
            questionnaire=questionnaire,
            respondent_type=respondent.respondent_type,
            respondent=None if questionnaire.anonymous or invitation is None else invitation.user,
            ward=_respondent_ward(questionnaire, respondent),
            answered_on=today,
        )
        rows = []
        for question in questions:
            value = answers.get(question.pk)
            if value in (None, "", []):
                if question.required:
                    raise ValidationError(_("「%(q)s」に回答してください。") % {"q": question.text})
                continue
            rows.append(_answer(response, question, value))
        Answer.objects.bulk_create(rows)
        score = next((a.scale for a in rows if a.question.feeds_satisfaction), None)
        if score is not None:
            SatisfactionSurvey.objects.create(
                project=questionnaire.project,
                respondent_type=respondent.respondent_type,
                score=score,
                answered_on=today,
                response=response,
            )
    return response


def _answer(response: QuestionnaireResponse, question: Question, value: Any) -> Answer:
    refusal = ValidationError(_("「%(q)s」の回答が正しくありません。") % {"q": question.text})
    answer = Answer(response=response, question=question)
    if question.kind == QuestionKind.SCALE:
        try:
            answer.scale = int(value)
        except (TypeError, ValueError):
            raise refusal from None
        if not 1 <= answer.scale <= 5:
            raise refusal
    elif question.kind == QuestionKind.TEXT:
        answer.text = str(value).strip()[:3000]
    else:
        picked = [value] if isinstance(value, str) else list(value)
        if not set(picked) <= set(question.choices) or (
            question.kind == QuestionKind.SINGLE and len(picked) != 1
        ):
            raise refusal
        answer.selected = picked
    return answer
