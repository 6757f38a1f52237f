@auth
Feature: Authentication with G2A
  The Export API is called with the API hash and key; the Import API with an OAuth access token
  that is cached for its real lifetime and refreshed before it runs out.

  Background:
    Given the adapter is connected to the target

  @twin @sandbox @live @smoke @chk-test-int-token @chk-ops-metrics-token-ttl
  Scenario: An access token is obtained with its real lifetime
    When the adapter asks for an access token
    Then a bearer token is returned that has not expired
    And the token lifetime gauge shows the seconds left on that token

  @twin @chk-test-int-token
  Scenario: The access token is reused while it is fresh
    When the adapter asks for an access token 3 times
    Then the same token is returned each time
    And the twin issued exactly 1 access token

  @twin @chk-test-int-token @chk-ops-metrics-token-ttl
  Scenario: A token close to its expiry is refreshed early
    Given the twin issues access tokens that live 2 seconds
    When the adapter asks for an access token
    And 1.7 seconds pass
    And the adapter asks for an access token
    Then a different token is returned the second time
    And the twin issued exactly 2 access tokens
    And the token lifetime gauge shows the seconds left on that token

  @twin @chk-test-int-token
  Scenario: A token refused by G2A is renewed once and the call succeeds
    Given the twin refuses the next offers request with HTTP 401 and code AUTH02
    When QA lists the seller's offers
    Then the offers are listed
    And the twin issued exactly 2 access tokens

  @twin @sandbox @live @smoke @chk-test-int-negative-credentials
  Scenario Outline: Wrong Export API credentials are refused
    Given the adapter uses a wrong <credential>
    When QA lists the first page of products
    Then the call fails with an authentication error
    And the error message reveals no credential

    Examples:
      | credential |
      | API key    |
      | API hash   |

  @twin @sandbox @live @chk-test-int-negative-credentials @chk-test-int-token
  Scenario: A wrong OAuth client secret gets no token
    Given the adapter uses a wrong OAuth client secret
    When the adapter asks for an access token
    Then the call fails with an authentication error
    And the error message reveals no credential

  @twin @chk-test-int-negative-credentials
  Scenario: Refused credentials are not retried
    Given the adapter uses a wrong API key
    When QA lists the first page of products
    Then the call fails with an authentication error
    And the twin received 1 product list request
