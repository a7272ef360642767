"""Developer tooling: start the whole assistant locally, train the Rasa model when the bot changed.

`Stack` is the reusable piece (make run, the e2e tests and the benches use it); `ensure_model`
trains only when config.yml, domain/, nlu/, bot/stories/ or bot/rules/ changed.
"""

from backend.launcher.model import ensure_model, fingerprint, model_path
from backend.launcher.rasa_env import rasa_env
from backend.launcher.stack import ProcessDied, Stack, StackError, free_port

__all__ = [
    "ProcessDied",
    "Stack",
    "StackError",
    "ensure_model",
    "fingerprint",
    "free_port",
    "model_path",
    "rasa_env",
]
