"""What the payments use cases refuse, as exceptions the API maps to problem responses."""

from __future__ import annotations


class PaymentsError(ValueError):
    """Base: a request about a customer's payments that cannot be honoured as asked."""


class NotFound(PaymentsError):
    """No such customer, account, loan, agreement or instruction for this tenant."""


class UnknownBank(PaymentsError):
    """A bank code that is not in our table: we cannot check its numbers or pay into it."""


class InvalidAccountNumber(PaymentsError):
    """The number fails the NUBAN check digit for the chosen bank (almost always a typo)."""


class AccountNotFound(PaymentsError):
    """The bank answered the name enquiry: no such account."""


class NothingDue(PaymentsError):
    """The loan owes nothing, so there is no default amount to ask for."""


class InvalidPayment(PaymentsError):
    """A non-positive amount, another currency, or a loan that takes no payments."""


class ProviderUnavailable(PaymentsError):
    """The payment provider did not answer usefully; the customer can try again shortly."""
