# Projects, outside support and coordinator budgets; included from matching/urls.py. The support
# and budget paths stay under "events/" where they were first published, so bookmarks keep working.
from django.urls import path

from matching.projects import views

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/status/", views.project_status, name="project_status"),
    path("projects/<int:pk>/costs/", views.project_costs, name="project_costs"),
    path("projects/<int:pk>/progress/", views.project_progress, name="project_progress"),
    path("projects/<int:pk>/documents/", views.project_document_add, name="project_document_add"),
    path(
        "projects/<int:pk>/documents/<int:document_id>/",
        views.project_document,
        name="project_document",
    ),
    path("projects/<int:pk>/problems/", views.project_problem_add, name="project_problem_add"),
    path(
        "projects/<int:pk>/problems/<int:problem_id>/",
        views.project_problem_update,
        name="project_problem_update",
    ),
    path("events/support/", views.external_support_list, name="external_support_list"),
    path("events/support/new/", views.external_support_new, name="external_support_new"),
    path("events/budgets/", views.budget_list, name="budget_list"),
    path("events/budgets/set/", views.budget_set, name="budget_set"),
    path("events/budgets/<int:pk>/", views.budget_detail, name="budget_detail"),
]
