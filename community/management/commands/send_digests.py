from django.core.management.base import BaseCommand

from community.services import digests_send_all


class Command(BaseCommand):
    help = (
        "Email each member who opted in a summary of unread forum notifications (counts only, no post "
        "text). Safe to run repeatedly: a notification is included in at most one digest."
    )

    def handle(self, *args, **options) -> None:
        sent = digests_send_all()
        self.stdout.write(f"Sent {sent} digest email(s).")
