from django.urls import path

from issues import views

app_name = "issues"

urlpatterns = [
    path("", views.triage, name="triage"),
    path("new/", views.issue_create, name="create"),
    path("similar-draft/", views.issue_similar_draft, name="similar_draft"),
    path("bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("map/", views.issue_map, name="map"),
    path("import/", views.import_issues, name="import"),
    path("export/<str:fmt>/", views.export_issues, name="export"),
    path("public/", views.public_list, name="public"),
    path("public/<slug:ward>/<int:pk>/", views.public_detail, name="public_detail"),
    path("<int:pk>/", views.issue_detail, name="detail"),
    path("<int:pk>/edit/", views.issue_edit, name="edit"),
    path("<int:pk>/change/<str:what>/", views.issue_change, name="change"),
    path("<int:pk>/similar/", views.issue_similar, name="similar"),
    path("<int:pk>/links/", views.link_create, name="link_create"),
    path("links/<int:pk>/delete/", views.link_delete, name="link_delete"),
]
