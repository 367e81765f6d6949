# Outside support and coordinator budgets; included from matching/urls.py. The paths stay under
# "events/" where they were first published, so bookmarks and links keep working.
from django.urls import path

from matching.projects import views

urlpatterns = [
    path("events/support/", views.external_support_list, name="external_support_list"),
    path("events/support/new/", views.external_support_new, name="external_support_new"),
    path("events/budgets/", views.budget_list, name="budget_list"),
    path("events/budgets/set/", views.budget_set, name="budget_set"),
    path("events/budgets/<int:pk>/", views.budget_detail, name="budget_detail"),
]
