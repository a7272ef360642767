import pytest

from backend.lending.applications import (
    TERMINAL,
    TRANSITIONS,
    IllegalTransition,
    Status,
    Transition,
    allowed,
    next_status,
)


def walk(*transitions: Transition) -> Status:
    status = Status.DRAFT
    for transition in transitions:
        status = next_status(status, transition)
    return status


def test_the_happy_path_ends_closed():
    path = (Transition.SUBMIT, Transition.START_REVIEW, Transition.APPROVE, Transition.ACCEPT,
            Transition.DISBURSE, Transition.CLOSE)  # fmt: skip
    assert walk(*path) is Status.CLOSED


def test_a_referral_goes_back_to_review_when_documents_arrive():
    status = walk(Transition.SUBMIT, Transition.START_REVIEW, Transition.REFER, Transition.RESUBMIT)
    assert status is Status.UNDER_REVIEW
    assert next_status(status, Transition.APPROVE) is Status.APPROVED


def test_a_declined_application_cannot_be_disbursed_or_accepted():
    declined = walk(Transition.SUBMIT, Transition.START_REVIEW, Transition.DECLINE)
    for transition in (Transition.ACCEPT, Transition.DISBURSE, Transition.CANCEL):
        with pytest.raises(IllegalTransition, match="declined"):
            next_status(declined, transition)


def test_money_that_has_moved_cannot_be_cancelled():
    disbursed = walk(Transition.SUBMIT, Transition.START_REVIEW, Transition.APPROVE, Transition.ACCEPT,
                     Transition.DISBURSE)  # fmt: skip
    with pytest.raises(IllegalTransition):
        next_status(disbursed, Transition.CANCEL)
    assert next_status(walk(Transition.SUBMIT), Transition.CANCEL) is Status.CANCELLED


def test_terminal_states_allow_nothing():
    for status in TERMINAL:
        assert allowed(status) == []
    assert {s for (s, _t) in TRANSITIONS} == set(Status) - TERMINAL


def test_allowed_lists_what_the_bot_may_offer():
    assert set(allowed(Status.APPROVED)) == {Transition.ACCEPT, Transition.CANCEL}
