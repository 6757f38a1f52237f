"""Gherkin suites of features/, bound with pytest-bdd."""
