"""Customer care use cases: hardship plans, disputes and requests for a human.

Each runs in one unit of work: the change, its audit row (and, were money to move, its ledger
entry) commit together. Loans are read through this package's own port, and rescheduling writes
only the instalments a plan replaces, under the same loan row lock repayments take."""
