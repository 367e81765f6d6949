"""User support (利用者サポート): FAQ maintenance, the FAQ assistant, consultation requests.

The assistant retrieves from the FAQ with the same Japanese TF-IDF engine the matching uses
(``portal.textengine``); the fitted index is kept per process and rebuilt when the FAQ changes.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.bookings import receipt_number_free
from portal.coordinators.services import coordinator_least_loaded
from portal.localtext import LocalText
from portal.models import (
    AdviceSlot,
    ConsultationNote,
    ConsultationRequest,
    ConsultationStatus,
    ConsultationTopic,
    FaqCategory,
    FaqEntry,
    UnansweredQuestion,
    User,
)
from portal.ratelimit import rate_limit_spent
from portal.services import notification_send
from portal.support.advice.services import advice_book, consultation_mail_send

# Below this cosine similarity the assistant says it found nothing and offers a consultation.
ANSWER_THRESHOLD = 0.15
ANSWER_COUNT = 3
# Consultation form: at most this many submissions per client address per hour.
CONSULTATION_RATE_LIMIT = 5
CONSULTATION_RATE_WINDOW = 3600
# FAQ assistant: a person asks a few questions a minute; a script asking 100 in 5 s is refused.
FAQ_ASK_RATE_LIMIT = 20
FAQ_ASK_RATE_WINDOW = 60


# --- FAQ maintenance --------------------------------------------------------------------------


def faq_category_save(*, name: str, order: int = 100, category: FaqCategory | None = None):
    category = category or FaqCategory()
    category.name = name.strip()
    category.order = order
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def faq_entry_save(
    *, data: dict[str, Any], entry: FaqEntry | None = None, version: int | None = None
) -> FaqEntry:
    """Create or update an FAQ entry; an update carrying a stale version is refused."""
    if entry is not None:
        current = FaqEntry.objects.select_for_update().get(pk=entry.pk)
        if version is not None and current.version != version:
            raise ValidationError(
                _("他の職員がこのFAQを更新しました。最新の内容を確認してから保存し直してください。")
            )
        entry = current
        entry.version += 1
    else:
        entry = FaqEntry()
    for name in ("category", "question", "answer", "keywords", "published", "order"):
        if name in data:
            setattr(entry, name, data[name])
    entry.full_clean()
    entry.save()
    return entry


def faq_entry_delete(*, entry: FaqEntry) -> None:
    entry.delete()


@transaction.atomic
def unanswered_to_faq(*, question: UnansweredQuestion, data: dict[str, Any]) -> FaqEntry:
    entry = faq_entry_save(data=data)
    question.faq_entry = entry
    question.save(update_fields=["faq_entry"])
    return entry


def unanswered_dismiss(*, question: UnansweredQuestion) -> None:
    question.dismissed = True
    question.save(update_fields=["dismissed"])


# --- retrieval --------------------------------------------------------------------------------


@dataclass
class _FaqIndex:
    fingerprint: tuple
    entry_ids: list[int]
    index: Any
    matrix: Any


_index_lock = threading.Lock()
_index_cache: dict[str, _FaqIndex] = {}


def _document(entry: FaqEntry) -> str:
    # The question and keywords carry the topic; they count twice against the answer's prose.
    # The English texts are indexed too, so a question asked in English finds its entry.
    topic = f"{entry.question}\n{entry.question_en}\n{entry.keywords}"
    return f"{topic}\n{topic}\n{entry.answer}\n{entry.answer_en}"


def _faq_index() -> _FaqIndex | None:
    from portal.textengine.index import fit_index, transform

    published = FaqEntry.objects.filter(published=True)
    stats = published.aggregate(n=Count("pk"), latest=Max("updated_at"), top=Max("pk"))
    fingerprint = (stats["n"], stats["latest"], stats["top"])
    if not stats["n"]:
        return None
    with _index_lock:
        cached = _index_cache.get("faq")
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        entries = list(published.order_by("pk"))
        documents = [_document(entry) for entry in entries]
        index = fit_index(documents=documents, min_df=1, max_df=1.0)
        built = _FaqIndex(
            fingerprint=fingerprint,
            entry_ids=[entry.pk for entry in entries],
            index=index,
            matrix=transform(index, documents),
        )
        _index_cache["faq"] = built
        return built


def faq_search(*, query: str, limit: int = ANSWER_COUNT) -> list[tuple[FaqEntry, float]]:
    """The published FAQ entries closest to ``query``, best first, with cosine similarity."""
    query = (query or "").strip()
    if not query:
        return []
    from portal.textengine.index import top_k, transform

    built = _faq_index()
    if built is None:
        return []
    vector = transform(built.index, [query])
    best = top_k(query_matrix=vector, target_matrix=built.matrix, k=limit)[0]
    ids = [built.entry_ids[row] for row, _score in best]
    entries = FaqEntry.objects.select_related("category").in_bulk(ids)
    return [
        (entries[built.entry_ids[row]], round(float(score), 3))
        for row, score in best
        if built.entry_ids[row] in entries
    ]


def faq_ask_rate_limited(*, client: str) -> bool:
    return rate_limit_spent(
        scope="faq-ask", client=client, limit=FAQ_ASK_RATE_LIMIT, window=FAQ_ASK_RATE_WINDOW
    )


def question_key(text: str) -> str:
    """What makes two questions the same for the staff queue: width, case, spaces and
    punctuation do not count (「登録方法は？」 and 「登録方法は?」 are one question)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())[:500]


def unanswered_question_store(*, text: str, best_score: float) -> UnansweredQuestion:
    """Store an unanswered question once: a repeat of an open one only counts up."""
    key = question_key(text)
    with transaction.atomic():
        existing = (
            UnansweredQuestion.objects.select_for_update()
            .filter(key=key, faq_entry__isnull=True, dismissed=False)
            .order_by("pk")
            .first()
        )
        if existing is not None:
            UnansweredQuestion.objects.filter(pk=existing.pk).update(
                times_asked=F("times_asked") + 1,
                asked_at=timezone.now(),
                best_score=max(existing.best_score, best_score),
            )
            existing.refresh_from_db()
            return existing
        return UnansweredQuestion.objects.create(text=text, key=key, best_score=best_score)


def faq_assistant_answer(*, question: str) -> dict[str, Any]:
    """Best answers for a question; an unanswerable question is stored for staff (once)."""
    question = " ".join((question or "").split())[:500]
    results = faq_search(query=question, limit=ANSWER_COUNT)
    answers = [(entry, score) for entry, score in results if score >= ANSWER_THRESHOLD]
    if not answers and question_key(question):
        unanswered_question_store(text=question, best_score=results[0][1] if results else 0.0)
    return {"question": question, "answers": answers, "answered": bool(answers)}


def help_search(*, query: str) -> list[FaqEntry]:
    """Help-centre search: engine ranking first, then plain text matches (e.g. a product name)."""
    query = (query or "").strip()
    published = FaqEntry.objects.filter(published=True).select_related("category")
    if not query:
        return list(published)
    ranked = [entry for entry, score in faq_search(query=query, limit=10) if score > 0.05]
    words = query.split()
    text_match = Q()
    for word in words:
        text_match &= (
            Q(question__icontains=word)
            | Q(answer__icontains=word)
            | Q(question_en__icontains=word)
            | Q(answer_en__icontains=word)
            | Q(keywords__icontains=word)
        )
    seen = {entry.pk for entry in ranked}
    return ranked + [entry for entry in published.filter(text_match) if entry.pk not in seen]


def faq_categories_with_entries() -> QuerySet[FaqCategory]:
    from django.db.models import Prefetch

    return FaqCategory.objects.prefetch_related(
        Prefetch("entries", queryset=FaqEntry.objects.filter(published=True))
    )


# --- consultations ----------------------------------------------------------------------------


def consultation_rate_limited(*, client: str) -> bool:
    """Counts one submission for ``client``; True once the hourly allowance is spent."""
    return rate_limit_spent(
        scope="consultation",
        client=client,
        limit=CONSULTATION_RATE_LIMIT,
        window=CONSULTATION_RATE_WINDOW,
    )


@transaction.atomic
def consultation_submit(
    *, data: dict[str, Any], language: str = "", slot: AdviceSlot | None = None
) -> ConsultationRequest:
    """Store a request with its 受付番号 and route it: to the coordinator of the advice
    session it books (``slot``), else to the least-loaded coordinator of the chosen ward.

    The request and its booking are stored together or not at all (a slot booked a moment
    earlier by someone else refuses both). The person gets an acknowledgement with the
    受付番号 (and the booking, its .ics and cancel link) in ``language``, after commit.
    """
    if not (data.get("email") or data.get("phone")):
        raise ValidationError(_("メールアドレスか電話番号のどちらかを入力してください。"))
    consultation = ConsultationRequest(**data)
    consultation.receipt_number = receipt_number_free(ConsultationRequest, "receipt_number")
    consultation.language = language[:8]
    if slot is not None and consultation.ward_id is None:
        consultation.ward = slot.ward
    session_coordinator = slot.coordinator if slot is not None else None
    if session_coordinator is not None and session_coordinator.is_active:
        consultation.assigned_to = session_coordinator
    else:
        consultation.assigned_to = coordinator_least_loaded(ward=consultation.ward)
    consultation.full_clean()
    consultation.save()
    booking = advice_book(consultation=consultation, slot=slot) if slot is not None else None
    if consultation.assigned_to is not None:
        params = {
            "topic": ConsultationTopic(consultation.topic).label,
            "name": consultation.name,
        }
        message = (
            LocalText(gettext_noop("新しい相談が届きました：%(topic)s（%(name)s）"), params)
            if booking is None
            else LocalText(
                gettext_noop("新しい相談が届きました：%(topic)s（%(name)s） 個別相談会 %(when)s"),
                {**params, "when": booking.slot.starts_at},
            )
        )
        notification_send(
            recipients=[consultation.assigned_to],
            message=message,
            url=reverse("portal:consultation_detail", args=[consultation.pk]),
        )
    consultation_mail_send(
        consultation=consultation, booking=booking, kind="booked" if booking else "received"
    )
    return consultation


_NEXT_STATUS: dict[str, set[ConsultationStatus]] = {
    ConsultationStatus.RECEIVED: {ConsultationStatus.IN_PROGRESS, ConsultationStatus.DONE},
    ConsultationStatus.IN_PROGRESS: {ConsultationStatus.DONE},
    ConsultationStatus.DONE: {ConsultationStatus.IN_PROGRESS},
}


@transaction.atomic
def consultation_update(
    *,
    consultation: ConsultationRequest,
    by: User,
    status: str = "",
    note: str = "",
    assigned_to: User | None = None,
) -> ConsultationRequest:
    consultation = ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)
    if status and status != consultation.status:
        if status not in _NEXT_STATUS.get(consultation.status, set()):
            raise ValidationError(
                _("「%(from)s」から「%(to)s」には変更できません。")
                % {
                    "from": consultation.get_status_display(),
                    "to": ConsultationStatus(status).label,
                }
            )
        consultation.status = status
        consultation.completed_at = timezone.now() if status == ConsultationStatus.DONE else None
    if assigned_to is not None and assigned_to != consultation.assigned_to:
        consultation.assigned_to = assigned_to
        notification_send(
            recipients=[assigned_to],
            message=LocalText(
                gettext_noop("相談の担当になりました：%(name)s"), {"name": consultation.name}
            ),
            url=reverse("portal:consultation_detail", args=[consultation.pk]),
        )
    consultation.save()
    if note.strip():
        ConsultationNote.objects.create(request=consultation, author=by, text=note.strip())
    return consultation


def consultations_for(*, user: User) -> QuerySet[ConsultationRequest]:
    """Coordinators see those of their ward or assigned to them; admins see all."""
    qs = ConsultationRequest.objects.select_related("ward", "assigned_to")
    if user.sees_all_wards:
        return qs
    return qs.filter(Q(assigned_to=user) | Q(ward_id=user.ward_id, ward__isnull=False))
