"""Origination use cases: customers, applications, decisions, offers, agreements and signing."""
