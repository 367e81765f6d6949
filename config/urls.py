from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("issues/", include("issues.urls")),
    path("partners/", include("partners.urls")),
    path("matching/", include("matching.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("", include("portal.urls")),
]
