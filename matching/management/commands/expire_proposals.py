"""python manage.py expire_proposals — expire overdue proposals, remind 3 days before."""

from django.core.management.base import BaseCommand

from matching.proposals.services import proposals_expire


class Command(BaseCommand):
    help = "期限切れの提案を「期限切れ」にし、期限3日前の提案に催促を送ります。"

    def handle(self, *args, **options):
        result = proposals_expire()
        self.stdout.write(f"expired={result['expired']} reminded={result['reminded']}")
