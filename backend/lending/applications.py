"""The life of a credit application, as a state machine.

draft -> submitted -> under_review -> approved | referred | declined; approved -> accepted ->
disbursed -> closed; referred -> under_review once the requested documents arrive; cancelled from
any state before money moves. Each transition is named, so the audit log records intent ("submit")
and not just a new status, and an illegal jump (disbursing a declined application) is refused here
before any ledger entry could be written.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REFERRED = "referred"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    DISBURSED = "disbursed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Transition(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"
    RESUBMIT = "resubmit"  # the documents a referral asked for have arrived
    ACCEPT = "accept"
    DISBURSE = "disburse"
    CLOSE = "close"
    CANCEL = "cancel"
    PAYOUT_FAILED = "payout_failed"  # the provider returned the money: back to accepted, retryable


# Cancelling stops at acceptance's end: once money has moved, a loan is closed by repayment,
# write-off or a cooling-off refund, never by cancelling its application.
CANCELLABLE = frozenset(
    {Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.APPROVED, Status.REFERRED, Status.ACCEPTED}
)

TRANSITIONS: dict[tuple[Status, Transition], Status] = {
    (Status.DRAFT, Transition.SUBMIT): Status.SUBMITTED,
    (Status.SUBMITTED, Transition.START_REVIEW): Status.UNDER_REVIEW,
    (Status.UNDER_REVIEW, Transition.APPROVE): Status.APPROVED,
    (Status.UNDER_REVIEW, Transition.REFER): Status.REFERRED,
    (Status.UNDER_REVIEW, Transition.DECLINE): Status.DECLINED,
    (Status.REFERRED, Transition.RESUBMIT): Status.UNDER_REVIEW,
    (Status.APPROVED, Transition.ACCEPT): Status.ACCEPTED,
    (Status.ACCEPTED, Transition.DISBURSE): Status.DISBURSED,
    (Status.DISBURSED, Transition.CLOSE): Status.CLOSED,
    # A payout the bank rejected (closed account, wrong number) moved no money: the signed offer
    # still stands, so the application returns to accepted and can be paid out to a corrected account.
    (Status.DISBURSED, Transition.PAYOUT_FAILED): Status.ACCEPTED,
    **{(status, Transition.CANCEL): Status.CANCELLED for status in CANCELLABLE},
}

TERMINAL = frozenset({Status.DECLINED, Status.CLOSED, Status.CANCELLED})


class IllegalTransition(ValueError):
    """The application is not in a state where this can happen."""

    def __init__(self, status: Status, transition: Transition) -> None:
        super().__init__(f"cannot {transition.value} an application that is {status.value}")
        self.status = status
        self.transition = transition


def next_status(status: Status, transition: Transition) -> Status:
    try:
        return TRANSITIONS[(status, transition)]
    except KeyError:
        raise IllegalTransition(status, transition) from None


def allowed(status: Status) -> list[Transition]:
    """What can happen next: the API and the bot offer exactly these."""
    return [t for (s, t) in TRANSITIONS if s == status]
