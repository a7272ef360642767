"""Pure text parsers used by form validators (no I/O, no Rasa types)."""
