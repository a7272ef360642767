"""Payments with a customer: payout bank accounts, payout previews, pay-now instructions and the
confirmation of a payment by the provider."""
