"""Unit tests of the checklist, targets, reports and `g2a-harness run`."""
