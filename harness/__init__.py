"""The contract harness: the G2A twin, BDD suites, contracts, load profiles and the gate."""
