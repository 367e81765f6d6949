import datetime

import factory
from django.contrib.auth.hashers import make_password

from portal.models import Role, User, Ward

DEFAULT_PASSWORD = "renkei-test-pass-2026"


def ward(code: str) -> Ward:
    return Ward.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    # Deterministic: a random Japanese name can collide with text a test looks for.
    display_name = factory.Sequence(lambda n: f"テスト職員{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.jp")
    role = Role.COORDINATOR
    password = factory.LazyFunction(lambda: make_password(DEFAULT_PASSWORD))


def wall_clock(*parts: int) -> datetime.datetime:
    """A workbook's date-and-time cell: a naive wall-clock time (workbooks have no zone)."""
    return datetime.datetime(*parts, tzinfo=datetime.UTC).replace(tzinfo=None)
