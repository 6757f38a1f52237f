"""Proof that the shipped Grafana dashboard is fed: its queries return data from a Prometheus.

`files` reads the repository's `ops/` (rules and dashboard), `prometheus` starts and asks a
Prometheus server, `drill` drives a service through the twin so every panel has data, and
`proof` turns the answers into the `handoff-dashboards` evidence of the checklist report.
"""
