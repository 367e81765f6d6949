"""Collaboration projects (連携事業) and what funds and supports them: coordinator budgets,
small grants and outside support bodies."""
