"""Scenarios of features/config.feature (steps: the g2a_bdd plugin, harness/bdd)."""

from pytest_bdd import scenarios

scenarios("../../features/config.feature")
