# Open calls (募集); included from matching/urls.py.
from django.urls import path

from matching.calls import views

urlpatterns = [
    path("issues/<int:issue_id>/call/", views.call_publish, name="call_publish"),
]
