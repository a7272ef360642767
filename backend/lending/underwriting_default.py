"""The demo tenant's rule set, shipped as text so the caller loads it like any tenant's YAML.

The thresholds are a starting point agreed with the credit lead for the demo, not a validated
model: 3 months is the least trading history a statement can show; 6 months is where seasonal
businesses have shown one cycle; above NGN 2m a declaration alone is too weak evidence; debt
service above half of revenue leaves too little to run the business on.
"""

from __future__ import annotations

DEFAULT_RULESET_YAML = """
id: demo-default
version: 2
currency: NGN
rounding_step: "10000"

products:
  working_capital: {min_amount: "50000", max_amount: "10000000"}
  invoice_financing: {min_amount: "100000", max_amount: "20000000"}
  bnpl: {min_amount: "5000", max_amount: "500000"}
  line_of_credit: {min_amount: "50000", max_amount: "5000000"}

knockouts:
  - id: kyc_failed
    when: kyc == "failed"
    outcome: decline
    reason: We could not confirm your identity, so we cannot lend to you at the moment.
    hint: If your name, date of birth or ID number was entered wrongly, correct it and verify again.
  - id: kyc_needs_review
    when: kyc == "needs_review"
    outcome: refer
    documents: [id_document]
    reason: We need a clear photo of your ID before we can decide.
    hint: Send a photo of your national ID, passport or driver's licence in this chat.
  - id: revenue_too_low
    when: monthly_revenue < 100000
    outcome: decline
    reason: Your monthly revenue is below the level where repayments would be affordable.
    hint: You can apply again once your business earns at least NGN 100,000 a month.
  - id: business_too_new
    when: months_in_business < 3
    outcome: decline
    reason: Your business has been trading for less than 3 months, which is too soon for us to lend.
    hint: You can apply again once your business has traded for 3 months.
  - id: business_young
    when: months_in_business >= 3 and months_in_business < 6
    outcome: refer
    documents: [bank_statement_3m, business_registration]
    reason: Your business is less than 6 months old, so we need more evidence of how it trades.
    hint: Send your last 3 months of bank statements and your business registration certificate.
  - id: large_request_without_statement
    when: requested_amount > 2000000 and not has_bank_statement
    outcome: refer
    documents: [bank_statement_6m]
    reason: For amounts above NGN 2,000,000 we need to see your bank statements.
    hint: Send your last 6 months of bank statements, or ask for a smaller amount.
  - id: statement_too_short
    when: has_bank_statement and bank_months_covered < 3
    outcome: refer
    documents: [bank_statement_6m]
    reason: The bank statement you sent covers too short a period for us to decide.
    hint: Send statements that cover your last 6 months.
  - id: many_bounced_payments
    when: has_bank_statement and bank_bounced_payments > 6
    outcome: decline
    reason: Your bank statement shows many payments that bounced for lack of funds.
    hint: Apply again after three months without bounced payments.
  - id: debt_burden
    when: debt_service_ratio != null and debt_service_ratio > 0.5
    outcome: decline
    reason: Your current loan repayments already take more than half of your monthly revenue.
    hint: Paying down your existing loans would improve your chances.

scorecard:
  base_points: 100
  characteristics:
    - id: time_in_business
      bins:
        - {when: months_in_business >= 36, points: 60}
        - {when: months_in_business >= 24, points: 45}
        - {when: months_in_business >= 12, points: 30}
      default: 10
    - id: bank_conduct
      bins:
        - {when: has_bank_statement and bank_bounced_payments == 0, points: 50}
        - {when: has_bank_statement and bank_bounced_payments <= 2, points: 30}
        - {when: has_bank_statement, points: 10}
      default: 15
    - id: revenue_evidence
      bins:
        - {when: inflow_to_revenue_ratio != null and inflow_to_revenue_ratio >= 0.9, points: 40}
        - {when: inflow_to_revenue_ratio != null and inflow_to_revenue_ratio >= 0.7, points: 20}
      default: 0
    - id: debt_burden
      bins:
        - {when: debt_service_ratio != null and debt_service_ratio == 0, points: 30}
        - {when: debt_service_ratio != null and debt_service_ratio <= 0.2, points: 20}
        - {when: debt_service_ratio != null and debt_service_ratio <= 0.35, points: 10}
      default: 0
    - id: sector
      bins:
        - {when: 'business_type in ["retail", "wholesale"]', points: 20}
        - {when: 'business_type in ["services", "manufacturing"]', points: 15}
      default: 5

grades:
  - {grade: A, min_points: 250, revenue_multiple: "3"}
  - {grade: B, min_points: 215, revenue_multiple: "2.5"}
  - {grade: C, min_points: 185, revenue_multiple: "2"}
  - {grade: D, min_points: 160, revenue_multiple: "1"}
  - grade: E
    min_points: 0
    approve: false
    reason: >-
      Taken together, your trading history, bank statement and existing debts
      do not yet meet our lending criteria.
    hint: >-
      A longer trading history, a bank statement without bounced payments
      or lower existing debts would help.
"""
