from django.urls import include, path

from matching import views
from matching.engine import views as engine_views
from matching.proposals import views as proposal_views

app_name = "matching"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/retry/", views.run_retry, name="run_retry"),
    path("issues/<int:issue_id>/", views.issue_review, name="issue_review"),
    path("issues/<int:issue_id>/refresh/", views.issue_refresh, name="issue_refresh"),
    path("candidates/<int:candidate_id>/decide/", views.candidate_decide, name="candidate_decide"),
    path(
        "candidates/<int:candidate_id>/shortlist/",
        views.candidate_shortlist,
        name="candidate_shortlist",
    ),
    path("approvals/", views.approvals, name="approvals"),
    path("proposals/", views.proposals, name="proposals"),
    path("engine/", views.engine_status, name="engine_status"),
    path("engine/weights/", views.engine_weights, name="engine_weights"),
    path("engine/suggest/issue/", engine_views.suggest_issue, name="suggest_issue"),
    path("engine/suggest/resource/", engine_views.suggest_resource, name="suggest_resource"),
    path("fairness/", views.fairness, name="fairness"),
    path("partner/proposals/", views.partner_proposals, name="partner_proposals"),
    path("partner/proposals/<int:proposal_id>/", views.partner_proposal, name="partner_proposal"),
    path(
        "partner/proposals/<int:proposal_id>/link/<str:token>/",
        proposal_views.proposal_link,
        name="proposal_link",
    ),
    path(
        "proposals/<int:proposal_id>/resend/",
        proposal_views.proposal_resend,
        name="proposal_resend",
    ),
    path("events/", include("matching.events.urls")),
    path("", include("matching.projects.urls")),
    path("", include("matching.offers.urls")),
    path("", include("matching.calls.urls")),
    path("", include("matching.conversations.urls")),
]
