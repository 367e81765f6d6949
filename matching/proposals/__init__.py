"""Proposals (提案) to organisations: deadlines, answers, reminders and expiry."""
