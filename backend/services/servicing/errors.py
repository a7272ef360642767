"""What servicing refuses, as exceptions the API maps to problem responses."""

from __future__ import annotations


class ServicingError(ValueError):
    """Base: a request the books cannot honour as asked."""


class NotFound(ServicingError):
    """No such agreement or loan for this tenant (another tenant's id looks the same as none)."""


class NotDisbursable(ServicingError):
    """The agreement is not signed, or its application is not in a state that may be paid out."""


class LoanNotActive(ServicingError):
    """A closed loan takes no repayments: money for it is a refund case, not an allocation."""


class InvalidRepayment(ServicingError):
    """Wrong currency, a date before the payout, or a non-positive amount."""


class ProviderRefConflict(ServicingError):
    """A provider reference already recorded for a different loan or amount: a redelivery must
    repeat the original payment exactly, anything else is a second payment mislabelled."""


class NotRefundable(ServicingError):
    """Credit is refunded only once the loan is closed (before that it pays the next instalment),
    and only if there is credit to refund."""


class PayoutStatusConflict(ServicingError):
    """A payout status report that disagrees with the provider, the reference on record, or a
    final status already recorded (a succeeded payout does not later fail, nor the reverse)."""


class DrawRefused(ServicingError):
    """A draw below the product's minimum, beyond the line's available limit, or in another
    currency: the borrower can ask again for less (422)."""


class LineNotOpen(ServicingError):
    """A closed line takes no draws, and closes only once."""


class LineDrawn(ServicingError):
    """A line closes only when nothing is drawn: its draws are still being repaid."""
