"""Writes of the rating domain, one module per concern (import from the module, e.g. `.subscriptions`)."""
