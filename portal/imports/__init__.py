"""Confirmed spreadsheet imports run as background jobs (models, services, selectors, views)."""
