"""The package version (one place, read by the public API and the User-Agent)."""

__version__ = "0.1.0"
