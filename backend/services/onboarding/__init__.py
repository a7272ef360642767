"""Onboarding use cases: consent, identity, documents, KYC and KYB checks, and the status the chat
assistant is driven by."""
