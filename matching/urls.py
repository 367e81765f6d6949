from django.urls import include, path

app_name = "matching"

urlpatterns: list = [
    path("events/", include("matching.event_urls")),
]
