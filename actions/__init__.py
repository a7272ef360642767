"""Custom actions and form validators served by rasa-sdk (``python -m rasa_sdk --actions actions``).

The SDK imports this package and registers every ``Action`` subclass it can see, so the modules
with actions are imported here.
"""

from actions import eligibility as eligibility
from actions.forms import eligibility as eligibility_form

__all__ = ["eligibility", "eligibility_form"]
