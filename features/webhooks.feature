@webhooks @twin
Feature: Signed order webhooks
  The twin signs every order event it sends (timestamp, nonce, HMAC signature). The receiver
  accepts an event once, acknowledges redeliveries without processing them again, and refuses
  anything tampered with, counting each refusal by its reason.

  Background:
    Given the adapter is connected to the target
    And the receiver is subscribed to the twin's order events
    And QA has ordered product 10000027819004

  @smoke @chk-ops-webhook-validation @chk-test-unit-webhook-signature
  Scenario: A signed order event is processed
    When the twin announces that the order was paid
    Then the receiver answered the delivery with "processed"
    And the receiver counted 1 processed "order.paid" event

  Scenario: The completion of an order is announced and processed
    When the twin announces that the order was completed
    Then the receiver answered the delivery with "processed"
    And the receiver counted 1 processed "order.complete" event
    And the receiver counted 0 processed "order.paid" events

  @chk-ops-idempotent-processing
  Scenario: A redelivered event is acknowledged without being processed again
    When the twin announces that the order was paid
    And the twin delivers the same event again with a fresh signature
    Then the receiver answered the redelivery with "duplicate"
    And the receiver counted 1 processed "order.paid" event
    And the receiver counted 1 duplicate "order.paid" event

  @chk-ops-idempotent-processing
  Scenario: An event delivered three times is processed once
    Given the twin delivers every webhook 3 times
    When the twin announces that the order was paid
    Then the receiver counted 1 processed "order.paid" event
    And the receiver counted 2 duplicate "order.paid" events

  Scenario: An order QA pays is announced, and its copies processed once
    Given the twin delivers every webhook 3 times
    When QA pays the order
    Then the receiver counted 1 processed "order.paid" event
    And the receiver counted 2 duplicate "order.paid" events

  @chk-ops-webhook-validation @chk-test-unit-webhook-signature @chk-ops-metrics-webhook-failures
  Scenario: A replayed delivery with the same nonce is refused
    When the twin announces that the order was paid
    And the twin replays that delivery unchanged
    Then the receiver refused the replay with HTTP 401
    And the receiver counted 1 validation failure for "replayed_nonce"

  @chk-ops-webhook-validation @chk-test-unit-webhook-signature @chk-ops-metrics-webhook-failures
  Scenario Outline: Tampered deliveries are refused with a reason
    When a delivery for the order arrives with <tampering>
    Then the receiver refuses it with HTTP <status> and reason "<reason>"
    And the receiver counted 1 validation failure for "<reason>"
    And the receiver counted 0 processed "order.paid" events

    Examples:
      | tampering                              | status | reason           |
      | a signature made with another secret   | 401    | bad_signature    |
      | a body changed after signing           | 401    | bad_signature    |
      | a timestamp 10 minutes old             | 401    | stale_timestamp  |
      | a timestamp 10 minutes ahead           | 401    | future_timestamp |
      | no signature                           | 401    | missing_header   |
      | an unreadable signature                | 400    | malformed_header |
      | a body that is not JSON                | 400    | malformed_body   |
      | a body larger than 64 KiB              | 413    | oversized_body   |

  @chk-test-unit-webhook-signature
  Scenario: During secret rotation a delivery signed with either secret is accepted
    When a delivery for the order arrives signed with the previous and the current secret
    Then the receiver answers it with "processed"
