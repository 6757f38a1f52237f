@config
Feature: Configuration from the environment
  A service configures the adapter with G2A_* environment variables. Start-up fails fast with a
  message that names the variable and the rule, never the value, and unsafe base URLs are refused.

  Background:
    Given an environment with the published sandbox credentials

  @twin @sandbox @live @smoke @chk-env-required
  Scenario Outline: A required variable is missing
    Given the variable <variable> is not set
    When the adapter loads its settings
    Then loading fails with a configuration error naming <variable>
    And the error message reveals no credential

    Examples:
      | variable     |
      | G2A_API_URL  |
      | G2A_API_HASH |
      | G2A_API_KEY  |

  @twin @sandbox @live @chk-env-required
  Scenario: A required variable that is present but blank is refused
    Given the variable G2A_API_KEY is set to "   "
    When the adapter loads its settings
    Then loading fails with a configuration error naming G2A_API_KEY

  @twin @sandbox @live @chk-env-secret-alias
  Scenario: The deprecated secret variable still provides the API hash
    Given the API hash is given only under the deprecated name G2A_API_SECRET
    When the adapter loads its settings
    Then the settings use the published sandbox API hash
    And exactly one deprecation warning names G2A_API_SECRET

  @twin @sandbox @live @chk-env-secret-alias
  Scenario: The deprecated variable may not contradict the new one
    Given the variable G2A_API_SECRET is set to "someOtherClientId"
    When the adapter loads its settings
    Then loading fails with a configuration error naming G2A_API_SECRET

  @twin @sandbox @live @smoke @chk-env-defaults
  Scenario: Optional settings take their documented defaults
    When the adapter loads its settings
    Then the request timeout is 8000 milliseconds
    And the settings allow at most 2 retries

  @twin @sandbox @live @chk-env-defaults
  Scenario Outline: Optional settings can be tuned
    Given the variable <variable> is set to "<value>"
    When the adapter loads its settings
    Then the setting <variable> is <value>

    Examples:
      | variable       | value |
      | G2A_TIMEOUT_MS | 2500  |
      | G2A_RETRY_MAX  | 0     |
      | G2A_RETRY_MAX  | 5     |

  @twin @sandbox @live @chk-env-sandbox-default
  Scenario Outline: Unset or sandbox is the sandbox
    Given the environment name is "<environment name>"
    When the adapter loads its settings
    Then the adapter runs against the sandbox

    Examples:
      | environment name |
      | (unset)          |
      | sandbox          |
      | SANDBOX          |

  @twin @sandbox @live @chk-env-sandbox-default
  Scenario Outline: Any other environment name is refused rather than guessed
    Given the environment name is "<environment name>"
    When the adapter loads its settings
    Then loading fails with a configuration error naming G2A_ENV

    Examples:
      | environment name |
      | staging          |
      | production       |
      | prod             |

  @twin @sandbox @live @chk-env-required
  Scenario: An API key that cannot be G2A's is refused at start-up
    Given the variable G2A_API_KEY is set to "deadbeef"
    When the adapter loads its settings
    Then loading fails with a configuration error naming G2A_API_KEY
    And the error message reveals no credential

  @twin @sandbox @live @chk-env-sandbox-default
  Scenario: Live must be asked for explicitly
    Given the environment name is "live"
    And the base URL is "https://api.g2a.com/v1"
    When the adapter loads its settings
    Then the adapter runs against live

  @twin @sandbox @live @chk-env-https @chk-test-unit-url-validator
  Scenario Outline: Plain HTTP is refused except towards a loopback twin
    Given the environment name is "<environment name>"
    And the base URL is "<url>"
    When the adapter loads its settings
    Then the base URL is <verdict>

    Examples:
      | environment name | url                            | verdict                                       |
      | sandbox          | http://sandboxapi.g2a.com/v1   | refused because it must use https             |
      | live             | http://api.g2a.com/v1          | refused because it must use https             |
      | sandbox          | ftp://sandboxapi.g2a.com/v1    | refused because it must start with https      |
      | sandbox          | http://127.0.0.1:8765/v1       | accepted as http://127.0.0.1:8765/v1          |
      | sandbox          | http://localhost:8765/v1       | accepted as http://localhost:8765/v1          |
      | live             | http://127.0.0.1:8765/v1       | refused because of a loopback host            |
      | sandbox          | https://sandboxapi.g2a.com/v1  | accepted as https://sandboxapi.g2a.com/v1     |

  @twin @sandbox @live @chk-env-allowlist @chk-test-unit-url-validator
  Scenario Outline: Only the G2A host of the environment is allowed
    Given the environment name is "<environment name>"
    And the base URL is "<url>"
    When the adapter loads its settings
    Then the base URL is <verdict>

    Examples:
      | environment name | url                                | verdict                                   |
      | live             | https://api.g2a.com/v1             | accepted as https://api.g2a.com/v1        |
      | live             | https://sandboxapi.g2a.com/v1      | refused because it points at the sandbox  |
      | sandbox          | https://api.g2a.com/v1             | refused because it points at the live host |
      | sandbox          | https://g2a.example.com/v1         | refused because the host is not allowed   |
      | live             | https://api.g2a.com.example.com/v1 | refused because the host is not allowed   |

  @twin @sandbox @live @chk-env-allowlist
  Scenario: An extra host is allowed only when configured explicitly
    Given the base URL is "https://g2a-proxy.internal/v1"
    And the variable G2A_ALLOWED_HOSTS is set to "g2a-proxy.internal"
    When the adapter loads its settings
    Then the base URL is accepted as https://g2a-proxy.internal/v1

  @twin @sandbox @live @chk-env-path @chk-test-unit-url-validator
  Scenario Outline: The base path is completed or refused
    Given the environment name is "<environment name>"
    And the base URL is "<url>"
    When the adapter loads its settings
    Then the base URL is <verdict>

    Examples:
      | environment name | url                                          | verdict                                                |
      | sandbox          | https://sandboxapi.g2a.com                   | accepted as https://sandboxapi.g2a.com/v1              |
      | sandbox          | https://sandboxapi.g2a.com/v1/               | accepted as https://sandboxapi.g2a.com/v1              |
      | sandbox          | https://sandboxapi.g2a.com:443/v1            | accepted as https://sandboxapi.g2a.com/v1              |
      | live             | https://api.g2a.com/integration-api/v1       | accepted as https://api.g2a.com/integration-api/v1     |
      | live             | https://api.g2a.com/integration-api          | accepted as https://api.g2a.com/integration-api/v1     |
      | sandbox          | https://sandboxapi.g2a.com/v2                | refused because the path must end in /v1               |
      | sandbox          | https://qa:hunter22@sandboxapi.g2a.com/v1    | refused because it must not contain credentials        |
      | sandbox          | https://sandboxapi.g2a.com/v1?debug=1        | refused because of a query string                      |
      | sandbox          | https://sandboxapi.g2a.com/v1#top            | refused because of a query string or a fragment        |

  @twin @sandbox @live @chk-ops-secrets-not-logged
  Scenario: Loaded settings never show a secret
    Given the variable G2A_WEBHOOK_SECRET is set to "whsec-settings-check"
    When the adapter loads its settings
    Then neither the settings text nor their display reveals the API key or the webhook secret
