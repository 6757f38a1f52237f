@idempotency
Feature: The idempotency store
  Every backend keeps the same promise: one owner per key at a time, the stored result for a
  repeated request, a refusal when a key is reused for other data, and each nonce accepted once.

  @twin @sandbox @live @chk-ops-idempotent-processing
  Scenario Outline: A key has one owner and one result
    Given an idempotency store backed by <backend>
    When a worker claims the key "order-77" for a purchase of product 10000027819004
    Then the claim is new
    When another worker claims the key "order-77" for the same purchase
    Then the claim is in progress
    When the first worker completes the key with order "1530978476"
    And another worker claims the key "order-77" for the same purchase
    Then the claim is completed with order "1530978476"
    When another worker claims the key "order-77" for a purchase of product 10000037846002
    Then the claim is a mismatch

    Examples:
      | backend             |
      | memory              |
      | an embedded SQLite  |

  @twin @sandbox @live @chk-ops-idempotent-processing @chk-test-unit-webhook-signature
  Scenario Outline: A nonce is accepted once
    Given an idempotency store backed by <backend>
    Then the nonce "n-1" is accepted the first time
    And the nonce "n-1" is refused the second time
    And the nonce "n-2" is accepted the first time

    Examples:
      | backend             |
      | memory              |
      | an embedded SQLite  |
