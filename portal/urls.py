from django.urls import path

from portal import support_views as sv
from portal import upload_views, views
from portal.imports import views as import_views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("health/", views.health, name="health"),
    path("notifications/", views.notifications, name="notifications"),
    path("access-log/", views.access_log, name="access_log"),
    path("imports/cancel/", upload_views.import_cancel, name="import_cancel"),
    path("imports/<int:job_id>/", import_views.import_job_detail, name="import_job"),
    # coordinator system
    path("coordinators/", sv.coordinator_overview, name="coordinator_overview"),
    path("coordinators/<int:user_id>/", sv.coordinator_detail, name="coordinator_detail"),
    path("coordinators/<int:user_id>/edit/", sv.coordinator_edit, name="coordinator_edit"),
    path("training/", sv.training_list, name="training_list"),
    path("training/new/", sv.training_create, name="training_create"),
    path("training/<int:pk>/", sv.training_detail, name="training_detail"),
    path("training/<int:pk>/attendance/", sv.training_attendance, name="training_attendance"),
    path("meetings/new/", sv.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", sv.meeting_detail, name="meeting_detail"),
    path("self-assessment/", sv.self_assessment, name="self_assessment"),
    # help centre, FAQ assistant, consultations
    path("help/", sv.help_centre, name="help_centre"),
    path("help/faq/<int:pk>/", sv.faq_entry, name="faq_entry"),
    path("help/ask/", sv.faq_ask, name="faq_ask"),
    path("help/manage/", sv.faq_manage, name="faq_manage"),
    path("help/manage/new/", sv.faq_edit, name="faq_create"),
    path("help/manage/<int:pk>/edit/", sv.faq_edit, name="faq_edit"),
    path("help/manage/<int:pk>/delete/", sv.faq_delete, name="faq_delete"),
    path("help/manage/categories/", sv.faq_category_add, name="faq_category_add"),
    path("help/unanswered/", sv.unanswered_list, name="unanswered_list"),
    path("help/unanswered/<int:pk>/faq/", sv.unanswered_convert, name="unanswered_convert"),
    path("help/unanswered/<int:pk>/dismiss/", sv.unanswered_dismiss, name="unanswered_dismiss"),
    path("consult/", sv.consultation_new, name="consultation_new"),
    path("consult/thanks/", sv.consultation_thanks, name="consultation_thanks"),
    path("consultations/", sv.consultation_list, name="consultation_list"),
    path("consultations/<int:pk>/", sv.consultation_detail, name="consultation_detail"),
]
