from django.urls import path

from evaluation import views
from evaluation.committee import views as committee
from evaluation.public import views as public
from evaluation.questionnaires import views as questionnaires
from evaluation.reports import views as reports

app_name = "evaluation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kpi/targets/", views.ward_targets, name="ward_targets"),
    path("kpi/<slug:code>/", views.kpi_detail, name="kpi_detail"),
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/indicators/", views.indicator_add, name="indicator_add"),
    path("projects/<int:pk>/measurements/", views.measurement_add, name="measurement_add"),
    path(
        "projects/<int:pk>/measurements/upload/",
        views.measurement_upload,
        name="measurement_upload",
    ),
    path("projects/<int:pk>/surveys/", views.survey_add, name="survey_add"),
    path("projects/<int:pk>/reviews/", committee.review_add, name="review_add"),
    path("projects/<int:pk>/conflicts/", committee.conflict_add, name="conflict_add"),
    path("projects/<int:pk>/opinion/", committee.project_opinion_save, name="project_opinion_save"),
    path("projects/<int:pk>/continuation/", views.continuation_add, name="continuation_add"),
    path("projects/<int:pk>/payments/", views.payment_add, name="payment_add"),
    path("projects/<int:pk>/feeds/", views.feed_add, name="feed_add"),
    path("projects/<int:project_pk>/cases/new/", views.case_edit, name="case_new"),
    path("projects/<int:project_pk>/cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("api/measurements/", views.device_measurements, name="device_measurements"),
    path("committee/", committee.committee, name="committee"),
    path("committee/criteria/", committee.criterion_save, name="criterion_add"),
    path("committee/criteria/<int:pk>/", committee.criterion_save, name="criterion_edit"),
    path("committee/opinion/", committee.opinion_save, name="opinion_save"),
    path("questionnaires/", questionnaires.questionnaire_list, name="questionnaires"),
    path("questionnaires/new/", questionnaires.questionnaire_create, name="questionnaire_create"),
    path(
        "questionnaires/<int:pk>/",
        questionnaires.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path(
        "questionnaires/<int:pk>/qr.svg", questionnaires.questionnaire_qr, name="questionnaire_qr"
    ),
    path(
        "questionnaires/<int:pk>/poster/",
        questionnaires.questionnaire_poster,
        name="questionnaire_poster",
    ),
    path(
        "questionnaires/<int:pk>/<slug:action>/",
        questionnaires.questionnaire_action,
        name="questionnaire_action",
    ),
    path("q/a/<str:token>/", questionnaires.questionnaire_answer, name="questionnaire_answer"),
    path("q/p/<str:key>/", questionnaires.questionnaire_public, name="questionnaire_public"),
    path("actions/", views.action_list, name="actions"),
    path("actions/<int:pk>/", views.action_update, name="action_update"),
    path("continuation/", views.continuation_list, name="continuation"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/reuse/", views.case_reuse_add, name="case_reuse_add"),
    path("reports/", reports.reports, name="reports"),
    path("reports/csv/", reports.report_csv_download, name="report_csv"),
    path("reports/<int:pk>/", reports.report_status, name="report_status"),
    path("reports/<int:pk>/download/", reports.report_download, name="report_download"),
    path("reports/<int:pk>/publish/", reports.report_publish, name="report_publish"),
    path("public/", public.public_results, name="public"),
    path(
        "public/reports/<int:pk>/download/",
        public.public_report_download,
        name="public_report_download",
    ),
    path("public/projects/<int:pk>/", public.public_project, name="public_project"),
]
