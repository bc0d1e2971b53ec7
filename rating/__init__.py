"""rating: the catalog (products, price plans, charges, tariffs), subscriptions and the rating engine.

Subscriptions and their service identifiers (MSISDN, IMSI, SIP user, device id) live here rather than
in accounts because a subscription is an instance of a catalog product and dependencies point one way
(rating -> accounts). Invariants: a service identifier is unique at any instant (an exclusion
constraint over its validity range); the engine in `rating.engine` is a pure function with no
database access; usage is rated exactly once (unique record keys). `rating.tariffs` turns stored rate
steps into the engine's dated deck (cached per tariff revision); rate decks arrive through
`services.rate_deck`; quotes (`quotes`) price with the same deck and write nothing. See docs/rating.md.
"""
