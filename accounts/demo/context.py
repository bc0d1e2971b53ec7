"""What the demo steps share: the seed, the clock, the generated customers, and what was created."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .people import CustomerSpec

DEMO_SEED = 20240601


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    path: str  # where this login is used, e.g. "/admin/"
    created: bool


@dataclass
class DemoContext:
    """Passed to every app's `demo_load(ctx)`; each step records what it created in `created`."""

    seed: int
    now: datetime
    customers: list[CustomerSpec]
    progress: bool = True
    tenants: dict[str, Any] = field(default_factory=dict)  # Tenant by code
    created: Counter[str] = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)
    api_token: str = ""
