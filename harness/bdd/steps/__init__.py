"""Step library module (being written)."""
