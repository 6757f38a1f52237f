"""Scenarios of features/products.feature (steps: the g2a_bdd plugin, harness/bdd)."""

from pytest_bdd import scenarios

scenarios("../../features/products.feature")
