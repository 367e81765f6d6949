"""What the issue database announces to the layers above it, which it must not import.

``issue_status_changed`` is sent inside the transaction that wrote an issue's new status —
the workflow screens (issues.services.issue_status_change), a project starting on the issue
(issue_project_started) and a file import (issues.resources) — once the row is saved, with
``sender=Issue`` and the keyword arguments ``issue`` (the saved Issue), ``previous`` and
``status`` (IssueStatus values) and ``changed_by`` (the User, or None for the system).
Receivers write in the same transaction, so a refused import or a rolled-back screen takes
their writes with it; their mail leaves after the commit (portal.services.notification_send).
"""

from django.dispatch import Signal

issue_status_changed = Signal()
