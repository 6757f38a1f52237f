@products
Feature: Product catalogue
  QA browses G2A's catalogue through the adapter: pages of 20 products, filters, and the
  detail of one product, all mapped to typed products.

  Background:
    Given the adapter is connected to the target

  @twin @sandbox @live @smoke @chk-test-int-products
  Scenario: The first page of the catalogue
    When QA lists the first page of products
    Then the page holds between 1 and 20 products
    And every product has an id, a name, a stock quantity and a price

  @twin @sandbox @live @smoke @chk-test-int-products
  Scenario: One product by its id
    When QA looks up product 10000027819004
    Then product 10000027819004 is returned with its name and price

  @twin @chk-test-int-products
  Scenario: A product's price and stock are checked against bounds, read-only
    Then product 10000027819004 costs at most 50 EUR
    And product 10000027819004 costs at least 0.01 EUR
    And product 10000027819004 has at least 1 key in stock

  @twin @chk-test-int-products
  Scenario: A product's price and stock are exactly what the twin holds
    Given product 10000027819004 costs 12.50 EUR
    And product 10000027819004 has 3 keys in stock
    Then product 10000027819004 costs exactly 12.50 EUR
    And product 10000027819004 has exactly 3 keys in stock

  @twin @chk-test-int-products
  Scenario Outline: The catalogue is split into pages of 20
    Given the twin's catalogue holds 45 products
    When QA lists page <page> of products, out-of-stock ones included
    Then the page holds exactly <count> products
    And the listing reports 45 products in total

    Examples:
      | page | count |
      | 1    | 20    |
      | 2    | 20    |
      | 3    | 5     |

  @twin @chk-test-int-products
  Scenario: Walking every page yields each product once
    Given the twin's catalogue holds 45 products
    When QA walks through every product, out-of-stock ones included
    Then 45 distinct products are seen
    And the twin received 3 product list requests

  @twin @chk-test-int-products
  Scenario Outline: Products are filtered on the G2A side
    When QA lists products with <filter> <value>
    Then every product listed has <field> of at least <value>
    And the twin received a product list request asking for <query name> <value>

    Examples:
      | filter                | value | field          | query name   |
      | a minimum quantity of | 100   | a quantity     | minQty       |
      | a minimum price of    | 20    | a minimum price| minPriceFrom |

  @twin @chk-test-int-products
  Scenario: The adapter's product calls send only the query parameters G2A documents
    Given the twin refuses fields and query parameters G2A does not document
    When QA walks through every product, out-of-stock ones included
    And QA lists products with a minimum quantity of 1
    And QA looks up product 10000027819004
    Then product 10000027819004 is returned with its name and price

  @twin @chk-test-unit-mappers
  Scenario: Unknown product fields are accepted
    Given product 10000037846002 carries an extra field "loyaltyPoints" with value 12
    When QA looks up product 10000037846002
    Then product 10000037846002 is returned with its name and price

  @twin @chk-test-unit-mappers
  Scenario: A malformed answer is reported as such
    Given the twin answers the next 1 product list requests with a malformed body
    When QA lists the first page of products
    Then the call fails with a response format error
