"""Reusable pytest-bdd step library for the G2A adapter, exposed as the `g2a_bdd` plugin."""
