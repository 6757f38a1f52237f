@health @twin
Feature: Health of the integration
  The receiver's health endpoint probes the access token and the idempotency store, each with a
  short timeout, and names the check that failed.

  Background:
    Given the adapter is connected to the target

  @smoke @chk-ops-health
  Scenario: Everything is healthy
    Given a receiver whose idempotency store is reachable
    When the operator asks for the health of the receiver
    Then the health is "ok" with HTTP 200
    And the checks "token, store" are reported "ok"

  @chk-ops-health
  Scenario: The idempotency store is down
    Given a receiver whose idempotency store connection was lost
    When the operator asks for the health of the receiver
    Then the health is not ok, with HTTP 503
    And the check "store" is reported failing
    And the check "token" is reported "ok"

  @chk-ops-health
  Scenario: No access token can be obtained
    Given a receiver whose idempotency store is reachable
    And the twin fails every token request with HTTP 503
    When the operator asks for the health of the receiver
    Then the health is not ok, with HTTP 503
    And the check "token" is reported failing
    And the check "store" is reported "ok"
