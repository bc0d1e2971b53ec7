"""Back office for accounts (extended in accounts/admin/)."""
