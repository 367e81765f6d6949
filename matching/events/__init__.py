"""Matching events (交流イベント・ピッチ会): programme from shortlisted pairs, invitations,
capacity and waiting list, check-in, closing with outcomes, calendar and .ics."""
