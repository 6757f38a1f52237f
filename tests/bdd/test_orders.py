"""Scenarios of features/orders.feature (steps: the g2a_bdd plugin, harness/bdd)."""

from pytest_bdd import scenarios

scenarios("../../features/orders.feature")
