"""How the portal writes amounts: the unit's precision, half-up, thousands grouped, a symbol or label."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.factories import unit
from selfcare.templatetags.portal import percent_of, unit_amount

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "code", "shown"),
    [
        ("61.265", "EUR", "€61.27"),
        ("-25", "EUR", "-€25.00"),
        ("1234567.5", "USD", "$1,234,567.50"),
        ("0.0021", "BTC", "0.00210000 BTC"),
        ("935.936", "MB", "935.936 MB"),
        ("6434.816", "MB", "6.28 GB"),
        ("1300", "PTS", "1,300 points"),
        ("110", "MIN", "110 min"),
        ("12.345", "BHD", "12.345 BHD"),
    ],
)
def test_unit_amount(amount, code, shown):
    assert unit_amount(Decimal(amount), unit(code)) == shown


def test_percent_of_is_clamped_and_safe_on_zero():
    assert percent_of(Decimal("180"), Decimal("300")) == 60
    assert percent_of(Decimal("400"), Decimal("300")) == 100
    assert percent_of(Decimal("-5"), Decimal("300")) == 0
    assert percent_of(Decimal("5"), Decimal("0")) == 0
