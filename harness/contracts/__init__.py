"""Contract layer: pact provider verification, provider states and drift detection."""
