@resilience @twin
Feature: Resilience to G2A faults
  Transient faults are retried within the retry budget (2 retries by default), with back-off
  and Retry-After honoured; other errors are not retried. Waiting is switched off here so the
  suite stays fast; the decisions are the same.

  Background:
    Given the adapter is connected to the target
    And retries do not wait

  @chk-test-unit-retry-policy @chk-ops-metrics-counters
  Scenario Outline: Faults on a read are retried only when that is safe
    Given the twin answers the next <times> product list requests with <fault>
    When QA lists the first page of products
    Then the call <result>
    And the twin received <attempts> product list requests
    And the retry counter shows <retries> retries

    Examples:
      | fault                            | times | result                          | attempts | retries |
      | HTTP 503                         | 1     | succeeds                        | 2        | 1       |
      | HTTP 502                         | 2     | succeeds                        | 3        | 2       |
      | HTTP 504                         | 1     | succeeds                        | 2        | 1       |
      | a rate limit asking to wait 1 s  | 1     | succeeds                        | 2        | 1       |
      | a connection reset               | 2     | succeeds                        | 3        | 2       |
      | HTTP 503                         | 3     | fails with a G2A API error      | 3        | 2       |
      | a rate limit asking to wait 1 s  | 3     | fails with a rate limit error   | 3        | 2       |
      | a connection reset               | 3     | fails with a transport error    | 3        | 2       |
      | HTTP 400                         | 1     | fails with a G2A API error      | 1        | 0       |
      | HTTP 404                         | 1     | fails with a G2A API error      | 1        | 0       |
      | a malformed body                 | 1     | fails with a response format error | 1     | 0       |

  @chk-test-unit-retry-policy
  Scenario: A read that times out is retried
    Given the adapter times out after 300 milliseconds
    And the twin never answers the next 1 product list requests
    When QA lists the first page of products
    Then the call succeeds
    And the twin received 2 product list requests

  @chk-test-unit-retry-policy @chk-env-defaults
  Scenario: With the default settings a failing call is tried three times in all
    Given the adapter uses the default retry settings
    And the twin answers the next 5 product list requests with HTTP 503
    When QA lists the first page of products
    Then the call fails with a G2A API error
    And the twin received 3 product list requests

  @chk-test-unit-retry-policy
  Scenario Outline: A payment is retried only when G2A certainly did not act on it
    Given QA has ordered product 10000027819004
    And the twin answers the next 1 payment requests with <fault>
    When QA pays the order
    Then the call <result>
    And the twin received <attempts> payment requests

    Examples:
      | fault                            | result                      | attempts |
      | HTTP 502                         | fails with an unknown outcome | 1      |
      | HTTP 504                         | fails with an unknown outcome | 1      |
      | a connection reset               | fails with an unknown outcome | 1      |
      | HTTP 503                         | fails with an unknown outcome | 1      |
      | a rate limit asking to wait 1 s  | succeeds                    | 2        |

  @chk-test-unit-retry-policy
  Scenario Outline: Retry-After is honoured within a cap
    Given a retry policy allowing 2 retries and waits of at most 5 seconds
    When G2A asks to wait <asked> before the first retry
    Then the policy waits <wait> seconds

    Examples:
      | asked       | wait |
      | 3 seconds   | 3    |
      | 5 seconds   | 5    |

  @chk-test-unit-retry-policy
  Scenario: A Retry-After beyond the cap is not retried
    Given a retry policy allowing 2 retries and waits of at most 5 seconds
    When G2A asks to wait 60 seconds before the first retry
    Then the policy does not retry, leaving the wait to the caller

  @chk-test-unit-retry-policy
  Scenario: A seeded sequence of faults is survived
    Given the twin answers product list requests with the sequence "HTTP 503, passes, HTTP 429, passes"
    When QA lists the first page of products
    And QA lists the first page of products
    Then the twin received 4 product list requests
    And the retry counter shows 2 retries
