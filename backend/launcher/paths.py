"""Where the launcher finds the two virtual environments and writes its files."""

from __future__ import annotations

from backend.settings import REPO_ROOT, VAR_DIR

APP_VENV = REPO_ROOT / ".venv"
RASA_VENV = REPO_ROOT / ".venv-rasa"
APP_PYTHON = APP_VENV / "bin" / "python"
CELERY = APP_VENV / "bin" / "celery"
RASA = RASA_VENV / "bin" / "rasa"
MODELS_DIR = REPO_ROOT / "models"

__all__ = ["APP_PYTHON", "APP_VENV", "CELERY", "MODELS_DIR", "RASA", "RASA_VENV", "REPO_ROOT", "VAR_DIR"]
