@orders
Feature: Orders
  Buying a key is a sequence of calls: create the order, pay it, read its status and fetch its
  key once. Each G2A error arrives as a typed error carrying G2A's code.

  Background:
    Given the adapter is connected to the target

  @twin @sandbox @smoke @chk-test-int-order-create
  Scenario: An order is created for a product in stock
    When QA orders product 10000027819004
    Then an order id made of digits is returned with a price in EUR
    And the order's status is "new"

  @twin @chk-test-int-order-create
  Scenario: The order request carries the product and currency G2A expects
    When QA orders product 10000084431001
    Then the twin received 1 order request for product "10000084431001" in "EUR"
    And the twin holds 1 order
    And the twin holds 1 order in status "new"

  @twin
  Scenario: An order priced in another currency
    Given product 10000027819004 costs 10 EUR
    When QA orders product 10000027819004 in USD
    Then an order id made of digits is returned with a price in USD
    And the order costs 10.80 USD
    And the twin received 1 order request for product "10000027819004" in "USD"

  @twin
  Scenario: An order above its maximum price is refused and reserves nothing
    Given product 10000027819004 costs 12.50 EUR
    And product 10000027819004 has 5 keys in stock
    When QA orders product 10000027819004 for at most 12 EUR
    Then the call fails because the price is above the maximum
    And the twin holds 0 orders
    And the twin still holds 5 keys of product 10000027819004

  @twin @chk-test-int-order-create @chk-test-unit-retry-policy
  Scenario Outline: G2A's order errors arrive as typed errors and are not retried
    Given the twin refuses the next order request with HTTP <status> and code <code>
    When QA orders product 10000027819004
    Then the call fails with <error>
    And the twin received 1 order request

    Examples:
      | status | code   | error                                  |
      | 400    | BR01   | a G2A API error with code BR01         |
      | 400    | BR04   | a G2A API error with code BR04         |
      | 402    | ORD05  | a G2A API error with code ORD05        |
      | 403    | ORD112 | a G2A API error with code ORD112       |
      | 403    | ORD114 | a G2A API error with code ORD114       |
      | 401    | AUTH02 | an authentication error                |

  @twin @chk-test-int-order-create
  Scenario: An order for a product that does not exist is refused
    When QA orders product 99999999999999
    Then the call fails with a G2A API error with code ORD01
    And the twin holds 0 orders

  @twin
  Scenario: An order with a minimum seller rating buys from the cheapest seller rated high enough
    Given the twin sells product 10000027819004 from sellers rated 0.62 at 10.00 EUR, 0.91 at 11.20 EUR and 0.97 at 12.50 EUR
    When QA orders product 10000027819004 from a seller rated at least 0.9
    Then an order id made of digits is returned with a price in EUR
    And the order costs 11.20 EUR
    And the twin holds 1 order
    And the twin holds 1 order in status "new"

  @twin
  Scenario: An order with a minimum seller rating no seller meets is refused and reserves nothing
    Given the twin sells product 10000027819004 from sellers rated 0.62 at 10.00 EUR and 0.97 at 12.50 EUR
    And product 10000027819004 has 5 keys in stock
    When QA orders product 10000027819004 from a seller rated at least 0.99
    Then the call fails with the twin's configured "rating_not_met" error
    And the twin holds 0 orders
    And the twin still holds 5 keys of product 10000027819004

  @twin
  Scenario: A paid order hands its key over exactly once
    Given QA has ordered product 10000027819004
    When QA pays the order
    Then the payment is confirmed with a transaction id
    And the order's status says it is paid
    When QA fetches the key of the order
    Then a key is handed over
    When QA fetches the key of the order
    Then the call fails with a G2A API error with code ORD004

  @twin
  Scenario: Paying an order that does not exist is refused
    When QA pays order 1234567890
    Then the call fails with a G2A API error with code ORD02

  @twin
  Scenario: An order id that is not a number is refused before anything is sent
    When QA asks for the details of order "12ab"
    Then the call fails before reaching G2A
    And the twin received no request for order details
