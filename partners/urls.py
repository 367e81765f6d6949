from django.urls import path

from partners import views
from partners.reach import views as reach

app_name = "partners"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("password/<str:uidb64>/<str:token>/", views.password_set, name="password_set"),
    path("join/<str:token>/", reach.join, name="join"),
    path("my/", views.my_org, name="my_org"),
    path("my/profile/", views.my_profile, name="my_profile"),
    path("my/registration/<int:pk>/", views.my_registration, name="my_registration"),
    path("my/contacts/new/", views.contact_edit, name="contact_create"),
    path("my/contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("my/contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("my/resources/", views.my_resources, name="my_resources"),
    path("my/resources/new/", views.resource_edit, name="resource_create"),
    path("my/resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("my/resources/<int:pk>/edit/", views.resource_edit, name="resource_edit"),
    path("my/resources/<int:pk>/status/", views.resource_status, name="resource_status"),
    path("registry/", views.registry, name="registry"),
    path("registry/pending/", views.pending, name="pending"),
    path("registry/export.<str:fmt>", views.export_resources, name="export"),
    path("registry/import/", views.import_resources, name="import"),
    path("registry/<int:pk>/", views.org_detail, name="org_detail"),
    path("registry/<int:pk>/edit/", views.org_edit, name="org_edit"),
    path("registry/<int:pk>/review/", views.org_review, name="org_review"),
    path("registry/<int:pk>/merge/", views.org_merge, name="org_merge"),
    path(
        "registry/<int:pk>/contacts/<int:contact_id>/invite/",
        reach.contact_invite,
        name="contact_invite",
    ),
]
