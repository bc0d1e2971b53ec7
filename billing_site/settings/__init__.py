"""Settings package: `base` holds everything; `production` only hardens it (see docs/operations.md)."""
