# Matching events (交流イベント・ピッチ会); included from matching/urls.py under "events/".
urlpatterns: list = []
