"""Chat models for the assistance features, built from settings (`chat_model.py`)."""
