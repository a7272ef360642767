"""Custom actions and form validators served by rasa-sdk (``python -m rasa_sdk --actions actions``).

The SDK imports this package and registers every ``Action`` subclass it can see, so the modules
with actions are imported here.
"""

import os

from backend.observability import configure_logging

# One JSON log line per event, like the backend and worker, so a request id can be followed
# through every process. The SDK has configured its own logging by the time it imports us.
configure_logging(
    os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT", "json"), process="actions"
)

from actions import eligibility as eligibility  # noqa: E402
from actions.forms import eligibility as eligibility_form  # noqa: E402

__all__ = ["eligibility", "eligibility_form"]
