from django.http import HttpRequest

from portal import registry
from portal.models import Notification


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": registry.menu_for(None), "unread_notifications": 0}
    return {
        "menu": registry.menu_for(user.role),
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
    }
