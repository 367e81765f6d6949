# Conversations about proposals and projects; included from matching/urls.py.
from django.urls import path

from matching.conversations import views

urlpatterns = [
    path("conversations/", views.conversation_list, name="conversations"),
    path(
        "conversations/proposals/<int:proposal_id>/",
        views.conversation_proposal,
        name="conversation_proposal",
    ),
    path(
        "conversations/projects/<int:project_id>/",
        views.conversation_project,
        name="conversation_project",
    ),
    path(
        "conversations/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
]
