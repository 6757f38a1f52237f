"""Scenarios of features/idempotency.feature (steps: the g2a_bdd plugin, harness/bdd)."""

from pytest_bdd import scenarios

scenarios("../../features/idempotency.feature")
