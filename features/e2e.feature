@e2e @twin
Feature: End to end, from token to verified webhook
  The whole path a service takes: obtain a token, find a product, buy it, receive the signed
  order event, and prove that nothing happens twice.

  @smoke @chk-test-e2e @chk-ops-idempotent-processing
  Scenario: Token, product, order, webhook and idempotency
    Given the adapter is connected to the target
    And the adapter keeps purchase progress in an idempotency store
    And the receiver is subscribed to the twin's order events
    When the adapter asks for an access token
    And QA looks up product 10000068865001
    And QA purchases product 10000068865001 with idempotency key "e2e-1"
    Then the purchase returns a key for a new order
    And the receiver processed the paid event of that order exactly once
    When the twin delivers the same event again with a fresh signature
    Then the receiver answered the redelivery with "duplicate"
    When QA purchases product 10000068865001 with idempotency key "e2e-1"
    Then the second purchase says it was resumed
    And the twin received 1 order request
    And the twin received 1 payment request
    And the receiver counted 1 processed "order.paid" event
