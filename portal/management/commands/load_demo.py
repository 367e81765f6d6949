from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.registry import DemoContext, demo_loaders

# Printed for the newcomer on purpose; demo accounts exist only where load_demo was run.
DEMO_PASSWORD = "renkei-demo-2026"  # noqa: S105  # nosec B105


class Command(BaseCommand):
    help = "Loads the demo dataset (idempotent: running it twice does not duplicate data)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=20260401)

    def handle(self, *args, seed: int, **options):
        ctx = DemoContext(seed=seed, password=DEMO_PASSWORD, log=self.stdout.write)
        with transaction.atomic():
            for loader in demo_loaders():
                loader(ctx)
        self.stdout.write(self.style.SUCCESS("デモデータを読み込みました / demo data loaded"))
        self.stdout.write("")
        self.stdout.write(f"デモアカウント / demo accounts (password: {DEMO_PASSWORD})")
        for role, username, note in ctx.accounts:
            self.stdout.write(f"  {role:<24} {username:<16} {note}")
        self.stdout.write("")
        self.stdout.write(f"→ {settings.SITE_URL}/")
