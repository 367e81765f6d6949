import datetime

import factory

from matching.models import Project


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"地域見守り連携事業 {n}")
    start_date = datetime.date(2025, 6, 1)
    status = Project.Status.RUNNING
