from django.urls import path

from evaluation import views
from evaluation.public import views as public
from evaluation.reports import views as reports

app_name = "evaluation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
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
    path("projects/<int:pk>/reviews/", views.review_add, name="review_add"),
    path("projects/<int:pk>/conflicts/", views.conflict_add, name="conflict_add"),
    path("projects/<int:pk>/continuation/", views.continuation_add, name="continuation_add"),
    path("projects/<int:pk>/payments/", views.payment_add, name="payment_add"),
    path("projects/<int:pk>/feeds/", views.feed_add, name="feed_add"),
    path("projects/<int:project_pk>/cases/new/", views.case_edit, name="case_new"),
    path("projects/<int:project_pk>/cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("api/measurements/", views.device_measurements, name="device_measurements"),
    path("committee/", views.committee, name="committee"),
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
