"""Reusable pytest-bdd step library for the G2A adapter, as the pytest plugin `harness.bdd.plugin`.

The plugin is never registered through an entry point: installed beside a service, it must not
touch the service's own test run (its `--target` option, its fixtures). It loads where it is
asked for: `pytest -p harness.bdd.plugin`, this repository's pytest `addopts`, and the pytest
runs `g2a-harness` starts (`PYTEST_PLUGIN_ARGS`).
"""

PLUGIN = "harness.bdd.plugin"
# `-p` of a module already registered is a no-op, so these may repeat a checkout's `addopts`.
# `no:g2a_bdd` blocks the `pytest11` entry point of an environment installed while the harness
# still declared one: loaded too, it would register the plugin a second time (a ValueError).
PYTEST_PLUGIN_ARGS = ("-p", PLUGIN, "-p", "no:g2a_bdd")
