"""Shared field shapes: invoice money (rounded to the currency's exponent, up to 8 places for crypto)."""

MONEY = {"max_digits": 26, "decimal_places": 8}
PRICE = {"max_digits": 18, "decimal_places": 6}
QUANTITY = {"max_digits": 18, "decimal_places": 3}
RATE = {"max_digits": 7, "decimal_places": 4}
