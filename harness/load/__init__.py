"""Locust load profiles through the adapter, run as subprocesses and judged by SLOs and invariants.

`locustfile` is the only module here that imports Locust; everything else is imported by the
runner (`g2a-harness load`) and must stay free of it.
"""
