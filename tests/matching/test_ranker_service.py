"""The learned ranker trained through the service on planted staff decisions."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from matching.engine.services import engine_version_build, ranker_train
from matching.models import Decision, EngineVersion
from matching.rules import DEFAULT_WEIGHTS, FEATURES
from matching.scoring import engine_load
from tests.issues.factories import IssueFactory
from tests.partners.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def plant_decisions(n_issues: int = 12, per_issue: int = 6) -> None:
    """Staff approve organisations next door and reject the textually closest far ones."""
    rng = random.Random(7)
    for _ in range(n_issues):
        issue = IssueFactory()
        for _ in range(per_issue):
            adjacent = rng.random() < 0.4
            features = dict.fromkeys(FEATURES, 0.0)
            # text similarity misleads: far resources have the higher cosine
            features["text"] = rng.uniform(0.05, 0.3) if adjacent else rng.uniform(0.3, 0.6)
            features["field"] = float(rng.random() < 0.5)
            features["adjacent_ward"] = float(adjacent)
            Decision.objects.create(
                issue=issue,
                resource=ResourceFactory(),
                verdict="approved" if adjacent else "rejected",
                reason="" if adjacent else "ward",
                features=features,
            )


def test_ranker_learns_the_planted_preference():
    plant_decisions()
    model = ranker_train(weights=DEFAULT_WEIGHTS)
    assert model is not None and model["coefficients"]
    assert model["coefficients"]["adjacent_ward"] > 0
    assert model["coefficients"]["adjacent_ward"] > model["coefficients"]["text"]
    validation = model["validation"]
    assert validation["use_learned"] is True
    assert validation["learned"]["ndcg_at_10"] > validation["baseline"]["ndcg_at_10"]


def test_cold_start_uses_hand_weights():
    IssueFactory()
    version = engine_version_build()
    assert version.ranker is None
    assert engine_load(version.pk).ranker is None


def test_engine_uses_the_learned_ranker_only_when_it_wins(client, coordinator):
    plant_decisions()
    version = engine_version_build()
    assert version.ranker and version.validation["use_learned"]
    assert engine_load(version.pk).ranker is not None
    client.force_login(coordinator)
    page = client.get(reverse("matching:engine_status")).content.decode()
    assert "nDCG@10" in page and "MRR" in page and "P@5" in page
    assert "学習したランキング（検証で手動の重みより良かったため）" in page
    assert EngineVersion.objects.count() == 1


def test_weights_are_editable_by_coordinators_with_a_lock(client, coordinator, evaluator):
    from matching.engine.services import matching_settings_get

    row = matching_settings_get()
    data = {name: DEFAULT_WEIGHTS[name] for name in FEATURES}
    data.update(field=0.8, top_k=15, use_learned="on", version=row.version)
    client.force_login(evaluator)
    assert client.post(reverse("matching:engine_weights"), data).status_code == 403
    client.force_login(coordinator)
    client.post(reverse("matching:engine_weights"), data)
    row.refresh_from_db()
    assert (row.field, row.top_k, row.updated_by) == (0.8, 15, coordinator)
    # the same (now stale) version again is refused
    data["field"] = 0.1
    client.post(reverse("matching:engine_weights"), data)
    row.refresh_from_db()
    assert row.field == 0.8
    data.update(version=row.version, field=99)
    response = client.post(reverse("matching:engine_weights"), data)
    assert response.status_code == 400
    assert "0 から 10 の範囲で入力してください。" in response.content.decode()


def test_both_sides_answers_become_training_labels():
    """Staff verdicts on the engine's candidates, staff verdicts on an organisation's own
    proposal (逆プロポ) and the organisation's answer to an approved proposal all label pairs."""
    import datetime

    from matching.engine.services import PARTNER_DECLINED_LABEL, ranker_training_data
    from matching.models import Proposal

    issue = IssueFactory()
    by_text: dict[float, str] = {}

    def decide(name: str, verdict: str, text: float, **extra) -> Decision:
        features = dict.fromkeys(FEATURES, 0.0) | {"text": text}
        by_text[text] = name
        return Decision.objects.create(
            issue=issue, resource=ResourceFactory(), verdict=verdict, features=features, **extra
        )

    def proposal(decision: Decision, status: str, origin: str = Proposal.Origin.WARD) -> Proposal:
        return Proposal.objects.create(
            issue=issue,
            resource=decision.resource,
            organization=decision.resource.organization,
            decision=decision if origin == Proposal.Origin.WARD else None,
            status=status,
            origin=origin,
            deadline=datetime.date(2026, 12, 31),
        )

    proposal(decide("declined", "approved", 0.1), Proposal.Status.DECLINED)
    proposal(decide("accepted", "approved", 0.2), Proposal.Status.ACCEPTED)
    proposal(decide("waiting", "approved", 0.3), Proposal.Status.SENT)
    decide("rejected", "rejected", 0.4)
    offer = Proposal.objects.create(
        issue=issue,
        resource=ResourceFactory(),
        organization=ResourceFactory().organization,
        status=Proposal.Status.ACCEPTED,
        origin=Proposal.Origin.PARTNER,
        deadline=datetime.date(2026, 12, 31),
    )
    decide("partner's own, approved", "approved", 0.5, partner_proposal=offer)

    features, labels, groups = ranker_training_data()
    text_column = FEATURES.index("text")
    label_of = {
        by_text[round(row[text_column], 1)]: int(label)
        for row, label in zip(features, labels, strict=True)
    }
    assert label_of == {
        "declined": PARTNER_DECLINED_LABEL,
        "accepted": 2,
        "waiting": 2,
        "rejected": 0,
        "partner's own, approved": 2,
    }
    assert set(groups) == {issue.pk}
