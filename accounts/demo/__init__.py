"""Demo data for a fresh installation: `manage.py load_demo`.

Each installed app may add its part with a `demo` module exposing `demo_load(ctx: DemoContext)`;
the steps run in INSTALLED_APPS order, lower layers first, so an app's demo sees the data of the apps
it depends on while accounts never imports a higher app. Every step is idempotent by natural keys:
running `load_demo` twice creates nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from .build import CUSTOMER_LOGIN, OPERATOR_LOGIN, RESELLER_LOGIN, demo_load
from .context import DEMO_SEED, DemoContext, DemoLogin
from .people import demo_customers

DemoStep = Callable[[DemoContext], None]

__all__ = [
    "CUSTOMER_LOGIN",
    "DEMO_SEED",
    "OPERATOR_LOGIN",
    "RESELLER_LOGIN",
    "DemoContext",
    "DemoLogin",
    "demo_load",
    "demo_run",
    "demo_steps",
]


def demo_steps() -> list[DemoStep]:
    """`demo_load` of every installed app that has a `demo` module, in INSTALLED_APPS order."""
    steps: list[DemoStep] = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "demo"):
            step = getattr(import_module(f"{config.name}.demo"), "demo_load", None)
            if callable(step):
                steps.append(step)
    return steps


def demo_run(*, seed: int = DEMO_SEED, progress: bool = True, now: datetime | None = None) -> DemoContext:
    """Load (or complete) the demo data set and return what was created and the logins to print."""
    ctx = DemoContext(seed=seed, now=now or timezone.now(), customers=demo_customers(seed), progress=progress)
    for step in demo_steps():
        step(ctx)
    return ctx
