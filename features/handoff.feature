@handoff
Feature: Handoff readiness
  Before the service goes to G2A, its environment is complete, no credential is committed, and
  the harness refuses to run against a real G2A environment it cannot use.

  @twin @sandbox @live @smoke @chk-handoff-env-populated
  Scenario: The chosen target has everything the adapter needs
    When QA resolves the chosen target from the environment
    Then the adapter settings can be built for that target

  @twin @sandbox @live @chk-handoff-env-populated
  Scenario Outline: A real G2A target without credentials is refused in one line
    Given an environment without G2A credentials
    When QA resolves the <target> target from that environment
    Then the harness refuses, naming "G2A_API_URL, G2A_API_HASH, G2A_API_KEY"

    Examples:
      | target  |
      | sandbox |
      | live    |

  @twin @sandbox @live @chk-handoff-env-populated @chk-ops-secrets-not-logged
  Scenario: No credential is committed to the repository
    When the repository's files are scanned for credentials
    Then no file assigns a value to a G2A secret variable
    And no file contains a credential of the chosen target, unless G2A published it
