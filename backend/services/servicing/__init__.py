"""Loan servicing use cases: disburse, repay, quote a payoff, charge late fees.

Fineract's three seams, kept apart so each can change alone: the schedule generator
(`backend.lending.schedules`), the repayment allocation strategy chosen per product
(`backend.lending.allocation`) and the accounting processor that turns loan events into journal
entries (`backend.services.servicing.accounting`, over `backend.lending.ledger`)."""
