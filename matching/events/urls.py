# Matching events (交流イベント・ピッチ会); included from matching/urls.py under "events/".
from django.urls import path

from matching.events import views

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("new/", views.event_create, name="event_create"),
    path("themes/", views.event_themes, name="event_themes"),
    path("mine/", views.my_invitations, name="event_my_invitations"),
    path("public/", views.public_events, name="event_public_list"),
    path("public/<int:pk>/", views.public_event_detail, name="event_public_detail"),
    path("seat/<str:token>/", views.event_seat, name="event_seat"),
    path("seat/<str:token>/event.ics", views.event_seat_ics, name="event_seat_ics"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
    path("<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("<int:pk>/programme/", views.event_programme, name="event_programme"),
    path("<int:pk>/invite/", views.event_invite, name="event_invite"),
    path("<int:pk>/cancel/", views.event_cancel, name="event_cancel"),
    path("<int:pk>/checkin/", views.event_checkin, name="event_checkin"),
    path("<int:pk>/close/", views.event_close, name="event_close"),
    path("<int:pk>/event.ics", views.event_ics, name="event_ics"),
    path("invitations/<int:pk>/register/", views.invitation_register, name="invitation_register"),
    path("invitations/<int:pk>/decline/", views.invitation_decline, name="invitation_decline"),
    path("<int:pk>/invitation/<str:token>/", views.invitation_link, name="invitation_link"),
]
