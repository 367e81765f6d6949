"""Reaching an organisation: its members in the portal, else its contacts by mailed link."""
