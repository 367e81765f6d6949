from django.urls import path

from portal import passwords, views
from portal.coordinators import views as coordinators
from portal.imports import views as import_views
from portal.notices import views as notices
from portal.statements import views as statements
from portal.support import views as support
from portal.support.advice import views as advice

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/reset/", passwords.password_reset, name="password_reset"),
    path("password/reset/sent/", passwords.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        passwords.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", passwords.password_reset_complete, name="password_reset_complete"),
    path("health/", views.health, name="health"),
    path("notifications/", views.notifications, name="notifications"),
    path("access-log/", views.access_log, name="access_log"),
    path("settings/notices/", notices.notice_settings, name="notice_settings"),
    path("mail-log/", notices.mail_log, name="mail_log"),
    path("imports/cancel/", import_views.import_cancel, name="import_cancel"),
    path("imports/", import_views.import_job_list, name="import_jobs"),
    path("imports/<int:job_id>/", import_views.import_job_detail, name="import_job"),
    # coordinator system
    path("coordinators/", coordinators.coordinator_overview, name="coordinator_overview"),
    path("coordinators/<int:user_id>/", coordinators.coordinator_detail, name="coordinator_detail"),
    path(
        "coordinators/<int:user_id>/edit/", coordinators.coordinator_edit, name="coordinator_edit"
    ),
    path(
        "coordinators/<int:user_id>/certify/",
        coordinators.coordinator_certify,
        name="coordinator_certify",
    ),
    path("training/", coordinators.training_list, name="training_list"),
    path("training/new/", coordinators.training_create, name="training_create"),
    path("training/<int:pk>/", coordinators.training_detail, name="training_detail"),
    path(
        "training/<int:pk>/attendance/",
        coordinators.training_attendance,
        name="training_attendance",
    ),
    path("meetings/new/", coordinators.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", coordinators.meeting_detail, name="meeting_detail"),
    path("self-assessment/", coordinators.self_assessment, name="self_assessment"),
    # help centre, FAQ assistant, consultations
    path("help/", support.help_centre, name="help_centre"),
    path("help/faq/<int:pk>/", support.faq_entry, name="faq_entry"),
    path("help/ask/", support.faq_ask, name="faq_ask"),
    path("help/manage/", support.faq_manage, name="faq_manage"),
    path("help/manage/new/", support.faq_edit, name="faq_create"),
    path("help/manage/<int:pk>/edit/", support.faq_edit, name="faq_edit"),
    path("help/manage/<int:pk>/delete/", support.faq_delete, name="faq_delete"),
    path("help/manage/categories/", support.faq_category_add, name="faq_category_add"),
    path("help/unanswered/", support.unanswered_list, name="unanswered_list"),
    path("help/unanswered/<int:pk>/faq/", support.unanswered_convert, name="unanswered_convert"),
    path(
        "help/unanswered/<int:pk>/dismiss/", support.unanswered_dismiss, name="unanswered_dismiss"
    ),
    path("consult/", support.consultation_new, name="consultation_new"),
    path("consult/thanks/", support.consultation_thanks, name="consultation_thanks"),
    path("consult/booking/<str:token>/", advice.advice_booking, name="advice_booking"),
    path("help/advice/", advice.advice_slots, name="advice_slots"),
    path("advice/", advice.advice_day, name="advice_day"),
    path("advice/new/", advice.advice_slot_create, name="advice_slot_create"),
    path("advice/<int:pk>/withdraw/", advice.advice_slot_withdraw, name="advice_slot_withdraw"),
    path("consultations/", support.consultation_list, name="consultation_list"),
    path("consultations/<int:pk>/", support.consultation_detail, name="consultation_detail"),
    # statements and basics
    path("privacy/", statements.privacy, name="privacy"),
    path("terms/", statements.terms, name="terms"),
    path("accessibility/", statements.accessibility, name="accessibility"),
    path("contact/", statements.contact, name="contact"),
    path("favicon.ico", statements.favicon, name="favicon"),
]
