@seller @twin
Feature: Declared stock served to G2A
  With declared stock G2A sells keys the seller keeps: at checkout it reserves units, then
  orders the reservation and takes the keys from the answer. The receiver serves G2A's calls
  over the seller's stock (here the harness's reference stock), each behind a bearer token
  from the seller's own token endpoint.

  Background:
    Given the seller stocks 3 keys of product 10000027819004
    And G2A holds a token from the seller

  @smoke
  Scenario: Reserving and ordering delivers the keys
    When G2A reserves 2 units of product 10000027819004
    And G2A orders the reservation
    Then the order delivers 2 keys of product 10000027819004
    And the seller has 1 unit of product 10000027819004 left

  Scenario: Another G2A order for an ordered reservation is refused
    When G2A reserves 1 unit of product 10000027819004
    And G2A orders the reservation
    And G2A orders the reservation again as another G2A order
    Then the seller refuses it with HTTP 409 and code "order_exists"
    And the seller has 2 units of product 10000027819004 left

  Scenario: G2A repeating an order whose answer it missed gets the same keys back
    When G2A reserves 2 units of product 10000027819004
    And G2A orders the reservation
    And G2A repeats its order, having missed the answer
    Then the seller answers with the original order and its keys
    And the seller has 1 unit of product 10000027819004 left

  Scenario: An expired reservation cannot be ordered but can be renewed
    When G2A reserves 3 units of product 10000027819004
    And the reservation's lifetime passes
    Then the seller has 3 units of product 10000027819004 left
    When G2A orders the reservation
    Then the seller refuses it with HTTP 410 and code "reservation_expired"
    When G2A renews the reservation
    Then the seller answers HTTP 200
    When G2A orders the reservation
    Then the order delivers 3 keys of product 10000027819004

  Scenario: Giving back a key returns it to stock
    When G2A reserves 2 units of product 10000027819004
    And G2A orders the reservation
    And G2A gives back the first key of the order
    Then the seller answers HTTP 204
    And the seller has 2 units of product 10000027819004 left

  Scenario: Releasing a reservation frees its units
    When G2A reserves 3 units of product 10000027819004
    And G2A releases the reservation
    Then the seller answers HTTP 204
    And the seller has 3 units of product 10000027819004 left

  Scenario: A call without a bearer token is refused
    When G2A reserves a unit of product 10000027819004 without a bearer token
    Then the seller refuses it with HTTP 401
    And the seller has 3 units of product 10000027819004 left

  Scenario: G2A's deactivation notification is recorded
    When G2A notifies the seller that auction 4242 was deactivated
    Then the seller answers HTTP 204
    And the seller recorded the deactivation of auction 4242
