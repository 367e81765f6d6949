# Partners propose (逆プロポ) and staff decide their proposals; included from matching/urls.py.
from django.urls import path

from matching.offers import views

urlpatterns = [
    path("partner/issues/", views.partner_issues, name="partner_issues"),
    path("partner/issues/<int:issue_id>/", views.partner_issue, name="partner_issue"),
    path(
        "partner-proposals/<int:proposal_id>/decide/",
        views.partner_proposal_decide,
        name="partner_proposal_decide",
    ),
]
