"""The demo's generated customers: same seed, same people; tax ids with valid check characters."""

from __future__ import annotations

from accounts.demo.people import demo_customers, irish_pps, irish_vat, spanish_cif, spanish_nif


def test_same_seed_gives_the_same_customers_and_another_seed_others():
    assert demo_customers(7) == demo_customers(7)
    assert demo_customers(7)[1:] != demo_customers(8)[1:]


def test_customer_and_account_numbers_and_msisdns_are_unique():
    specs = demo_customers(7)
    accounts = [a for c in specs for a in c.accounts]
    assert len({(c.tenant_code, c.number) for c in specs}) == len(specs) == 50
    assert len({a.number for a in accounts}) == len(accounts)
    assert len({a.msisdn for a in accounts}) == len(accounts)


def test_spanish_nif_and_cif_carry_their_control_character():
    assert spanish_nif(12345678) == "12345678Z"
    assert spanish_cif(5818582) == "B58185828"


def test_irish_pps_and_vat_carry_the_mod_23_check_letter():
    assert irish_pps(1234567) == "1234567T"
    assert irish_vat(6388047) == "IE6388047" + irish_pps(6388047)[-1]
