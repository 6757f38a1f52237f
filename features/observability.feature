@observability
Feature: Logs and metrics for operators
  Every call to G2A writes one log line (each HTTP attempt a DEBUG record) and updates the
  Prometheus metrics that feed the dashboards. No secret ever reaches a log line.

  Background:
    Given the adapter is connected to the target

  @twin @chk-ops-log-fields
  Scenario: Every attempt is logged with its method, path, status, latency and retries
    Given retries do not wait
    And the twin answers the next 1 product list requests with HTTP 503
    When QA lists the first page of products
    Then 2 request log records were written
    And each log record names the method "GET", the path "/v1/products", a latency and the retry count
    And the log records show the statuses "503, 200" in that order

  @twin @chk-ops-log-fields
  Scenario: Each call is one log line with its outcome and G2A's error code
    Given retries do not wait
    And the twin answers the next 1 product list requests with HTTP 503
    When QA lists the first page of products
    And QA orders product 99999999999999
    Then 2 call log lines were written
    And call log line 1 shows "method=GET route=/v1/products status=200 attempts=2 retries=1 outcome=ok error_code=-"
    And call log line 2 shows "method=POST route=/v1/order status=404 attempts=1 outcome=error error=G2AApiError error_code=ORD01"

  @twin @sandbox @live @smoke @chk-ops-secrets-not-logged @chk-ops-log-fields
  Scenario: No secret appears in the logs of a normal session
    When QA lists the first page of products
    And the adapter asks for an access token
    Then no log output reveals the API key, the OAuth secret or the access token

  @twin @chk-ops-secrets-not-logged
  Scenario: No secret appears in the logs or errors of a failing session
    Given retries do not wait
    And the twin answers the next 3 product list requests with HTTP 503
    When QA lists the first page of products
    Then the call fails with a G2A API error
    And the error message reveals no credential
    And no log output reveals the API key, the OAuth secret or the access token

  @twin @chk-ops-metrics-counters
  Scenario: Successes and errors are counted by outcome
    When QA lists the first page of products
    And QA orders product 99999999999999
    Then the request counter shows 1 request with status 200
    And the request counter shows 1 request with status 404

  @twin @chk-ops-metrics-latency
  Scenario: Slow answers show in the latency histogram
    Given the twin delays the next product list request by 300 milliseconds
    When QA lists the first page of products
    Then the latency histogram holds 1 product list request
    And that request took at least 0.3 seconds

  @twin
  Scenario: The metrics endpoint feeds the dashboards
    Given the receiver is subscribed to the twin's order events
    When the operator scrapes the receiver's metrics endpoint
    Then it exposes the metrics
      | metric                                |
      | g2a_requests_total                    |
      | g2a_request_retries_total             |
      | g2a_request_duration_seconds          |
      | g2a_token_ttl_seconds                 |
      | g2a_webhook_events_total              |
      | g2a_webhook_validation_failures_total |
