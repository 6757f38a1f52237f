"""Scenarios of features/e2e.feature (steps: the g2a_bdd plugin, harness/bdd)."""

from pytest_bdd import scenarios

scenarios("../../features/e2e.feature")
