@purchase @twin
Feature: Purchases never charge twice
  A purchase (create, pay, wait for completion, fetch the key) is keyed by the caller's
  idempotency key and checkpointed after every step, so repeating it or resuming it after a
  failure never creates or pays a second order.

  Background:
    Given the adapter is connected to the target
    And the adapter keeps purchase progress in an idempotency store

  @smoke @chk-ops-idempotent-processing
  Scenario: A purchase returns the key
    When QA purchases product 10000027819004 with idempotency key "buy-1"
    Then the purchase returns a key for a new order
    And the twin holds 1 order
    And the twin holds 1 order in status "complete"

  @chk-ops-idempotent-processing
  Scenario: Repeating a purchase returns the stored result
    When QA purchases product 10000027819004 with idempotency key "buy-2"
    And QA purchases product 10000027819004 with idempotency key "buy-2"
    Then both purchases return the same order and key
    And the second purchase says it was resumed
    And the twin received 1 order request
    And the twin received 1 payment request

  @chk-ops-idempotent-processing
  Scenario: The same key for another product is refused
    When QA purchases product 10000027819004 with idempotency key "buy-3"
    And QA purchases product 10000037846002 with idempotency key "buy-3"
    Then the call fails with an idempotency conflict
    And the twin received 1 order request

  @chk-ops-idempotent-processing @chk-test-unit-retry-policy
  Scenario: A purchase whose payment answer was lost learns from order details that it is paid
    Given the twin pays the next order but loses every answer to it
    When QA purchases product 10000027819004 with idempotency key "buy-4"
    Then the purchase returns a key
    And the twin received 1 order request
    And the twin received 1 payment request
    And the twin holds 1 order
    And the twin holds 1 order in status "complete"

  Scenario: A purchase within its maximum price returns the key
    Given product 10000027819004 costs 12.50 EUR
    When QA purchases product 10000027819004 for at most 12.50 EUR with idempotency key "buy-7"
    Then the purchase returns a key for a new order

  Scenario: A purchase sends only the order fields G2A documents
    Given the twin refuses fields and query parameters G2A does not document
    And product 10000027819004 costs 12.50 EUR
    When QA purchases product 10000027819004 for at most 12.50 EUR with idempotency key "buy-9"
    Then the purchase returns a key for a new order

  Scenario: A purchase above its maximum price is refused before anything is ordered or paid
    Given product 10000027819004 costs 12.50 EUR
    When QA purchases product 10000027819004 for at most 12 EUR with idempotency key "buy-8"
    Then the call fails because the price is above the maximum
    And the twin holds 0 orders
    And the twin received no request for payment

  @chk-ops-idempotent-processing
  Scenario: A key request that failed before G2A handed the key out is asked again at once
    Given the twin fails the next 1 key requests with a connection reset
    When QA purchases product 10000027819004 with idempotency key "buy-5"
    Then the purchase returns a key
    And the twin received 1 order request
    And the twin received 1 payment request

  @chk-ops-idempotent-processing
  Scenario: A key handed out to an answer that never arrived is a lost key, on every re-run
    Given the twin hands out the next key but loses the answer
    When QA purchases product 10000027819004 with idempotency key "buy-6"
    Then the call fails with a lost key
    When QA purchases product 10000027819004 with idempotency key "buy-6"
    Then the call fails with a lost key
    And the twin received 1 payment request

  @chk-test-unit-retry-policy
  Scenario: A timeout after the order was sent says the outcome is unknown
    Given the adapter times out after 300 milliseconds
    And the twin never answers the next order request
    When QA orders product 10000027819004
    Then the call fails with an unknown outcome
    And the twin received 1 order request
