"""Rate-deck import: line-by-line validation with reasons, good groups loaded, re-import adds nothing."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import AuditEvent
from rating.exceptions import RateDeckInvalid
from rating.models import RateDeckImport, TariffRateStep
from rating.services import rate_deck_import

from .factories import make_band, make_plan, make_tariff

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = (  # the documented header, as the issue spells it
    "prefix,destination,time_band,effective_from,interval_start,connect_fee,rate,rate_unit,increment,"
    "rounding,decimals,max_cost"
)


def deck(*lines: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *lines]).encode() + newline.encode()


def reasons(record: RateDeckImport) -> dict[int, str]:
    return {item["line"]: item["reason"] for item in record.report["rejections"]}


def stored(tariff) -> list[tuple]:
    return list(
        TariffRateStep.objects.filter(tariff=tariff)
        .order_by("prefix", "time_band__name", "effective_from", "interval_start")
        .values_list("prefix", "time_band__name", "interval_start", "connect_fee", "rate", "rate_unit", "increment")
    )


@pytest.fixture
def peak(operator):
    return make_band(tenant=operator, name="peak", weekdays=[0, 1, 2, 3, 4], start=time(8), end=time(20))


def test_a_clean_deck_loads_every_step_in_base_units(operator, peak):
    tariff = make_tariff(tenant=operator)
    body = deck(
        "34,Spain,,2024-01-01,0,0.05,0.10,60,60,,,",
        "34,Spain,,2024-01-01,60,,0.06,60,6,,,",
        "+44,United Kingdom,Peak,2024-01-01,0,,0.20,1min,30s,up,4,5.00",
        "*,Rest of world,,2024-01-01,,,1.00,60,1,,,",
    )

    record = rate_deck_import(tariff=tariff, file=body, file_name="deck.csv")

    assert (record.lines_read, record.lines_loaded, record.lines_unchanged, record.lines_rejected) == (4, 4, 0, 0)
    assert stored(tariff) == [
        ("*", None, 0, D("0"), D("1.00"), 60, 1),
        ("34", None, 0, D("0.05"), D("0.10"), 60, 60),
        ("34", None, 60, D("0"), D("0.06"), 60, 6),
        ("44", "peak", 0, D("0"), D("0.20"), 60, 30),
    ]
    uk = TariffRateStep.objects.get(tariff=tariff, prefix="44")
    assert (uk.rounding, uk.decimals, uk.max_cost) == ("up", 4, D("5.00"))
    assert uk.effective_from == datetime(2024, 1, 1, tzinfo=UTC)  # the operator's zone is UTC
    assert record.checksum and record.file_name == "deck.csv"
    assert AuditEvent.objects.filter(action="tariff.rate_deck_import", object_id=str(tariff.pk)).exists()


def test_data_units_accept_kb_mb_gb_suffixes_as_binary_multiples(operator):
    tariff = make_tariff(tenant=operator, service="data")
    body = deck("*,Internet,,2024-01-01,0,,0.01,MB,KB,,,", "*,Internet,,2024-01-01,1GB,,0.005,1MB,10KB,,,")

    rate_deck_import(tariff=tariff, file=body)

    assert [row[2:] for row in stored(tariff)] == [
        (0, D("0"), D("0.01"), 1048576, 1024),
        (1073741824, D("0"), D("0.005"), 1048576, 10240),
    ]


def test_bom_crlf_and_quoted_fields_are_read(operator):
    tariff = make_tariff(tenant=operator)
    body = b"\xef\xbb\xbf" + deck('34,"Spain, mobile",,2024-01-01,0,,"0.10",60,60,,,', newline="\r\n")

    record = rate_deck_import(tariff=tariff, file=body)

    assert record.lines_loaded == 1
    assert TariffRateStep.objects.get(tariff=tariff).destination == "Spain, mobile"


def test_each_bad_line_is_reported_with_its_number_and_reason_and_the_good_ones_load(operator, peak):
    tariff = make_tariff(tenant=operator)
    body = deck(
        "34,Spain,,2024-01-01,0,,0.10,60,60,,,",  # line 2: good
        "33,France,,2024-01-01,0,,0,10,60,60,,,",  # line 3: one field too many
        "49,Germany,,2024-01-01,0,,abc,60,60,,,",  # line 4: bad decimal
        "39,Italy,night,2024-01-01,0,,0.10,60,60,,,",  # line 5: unknown band
        "41,Switzerland,,2024-13-01,0,,0.10,60,60,,,",  # line 6: bad date
        "43,Austria,,2024-01-01,0,,0.10,,60,,,",  # line 7: missing rate_unit
        "45,Denmark,,2024-01-01,0,,0.10,60,60,sideways,,",  # line 8: bad rounding
        "46,Sweden,,2024-01-01,0,,0.10,60,60,,,",  # line 9: good step 0 of Sweden...
        "46,Sweden,,2024-01-01,60,,0.0,60,60,,,",  # line 10: ...good step 60...
        "46,Sweden,,2024-01-01,30,,0.05,60,60,,,",  # line 11: ...then 30 after 60: not increasing
        "47,Norway,,2024-01-01,0,,0.10,60,60,,,",  # line 12: Norway step 0...
        "47,Norway,,2024-01-01,0,,0.12,60,60,,,",  # line 13: ...duplicate step
        "48,Poland,,2024-01-01,60,,0.10,60,60,,,",  # line 14: no step at 0
        "351,Portugal,,2024-01-01,0,,0.1234567,60,60,,,",  # line 15: 7 decimals
        "352,Luxembourg,,2024-01-01,0,,0.10,60,0,,,",  # line 16: increment 0
        "x353,Ireland,,2024-01-01,0,,0.10,60,60,,,",  # line 17: bad prefix
        "354,Iceland,,2024-01-01,0,0.05,0.10,60,60,,,",  # line 18: Iceland step 0 with a fee...
        "354,Iceland,,2024-01-01,60,0.07,0.10,60,60,,,",  # line 19: ...another fee on a later step
        "1,USA,peak,2024-01-01T08:00:00+00:00,0,,0.02,60,60,,,",  # line 20: good, banded, date-time
    )

    record = rate_deck_import(tariff=tariff, file=body)

    assert reasons(record) == {
        3: "expected 12 fields, found 13",
        4: "rate 'abc' is not a decimal number",
        5: "time_band 'night' is not one of this tenant's time bands",
        6: "effective_from '2024-13-01' is not a date (YYYY-MM-DD) or ISO 8601 date-time",
        7: "rate_unit is required",
        8: "rounding 'sideways' is not one of up, half_up, down",
        9: "rejected with its group (prefix 46, band any, from 2024-01-01T00:00:00+00:00): line 11: "
        "interval_start 30 does not increase (line 10 of the same rate has 60)",
        10: "rejected with its group (prefix 46, band any, from 2024-01-01T00:00:00+00:00): line 11: "
        "interval_start 30 does not increase (line 10 of the same rate has 60)",
        11: "interval_start 30 does not increase (line 10 of the same rate has 60)",
        12: "rejected with its group (prefix 47, band any, from 2024-01-01T00:00:00+00:00): line 13: "
        "duplicate step: interval_start 0 is already on line 12",
        13: "duplicate step: interval_start 0 is already on line 12",
        14: "the rate's first step starts at 60; it must start at interval_start 0",
        15: "rate '0.1234567' has more than 6 decimal places",
        16: "increment '0' must be between 1 and 2147483647",
        17: "prefix 'x353' is not digits (optionally +, 00) or * for any destination",
        18: "rejected with its group (prefix 354, band any, from 2024-01-01T00:00:00+00:00): line 19: "
        "connect_fee 0.07 differs from the rate's first step (line 18)",
        19: "connect_fee 0.07 differs from the rate's first step (line 18)",
    }
    assert (record.lines_read, record.lines_loaded, record.lines_rejected) == (19, 2, 17)
    assert record.lines_read == record.lines_loaded + record.lines_unchanged + record.lines_rejected
    assert [(row[0], row[1]) for row in stored(tariff)] == [("1", "peak"), ("34", None)]


def test_a_bad_line_takes_the_other_steps_of_its_rate_with_it(operator):
    tariff = make_tariff(tenant=operator)
    body = deck("34,Spain,,2024-01-01,0,,0.10,60,60,,,", "34,Spain,,2024-01-01,60,,0;05,60,60,,,")

    record = rate_deck_import(tariff=tariff, file=body)

    # Loading the first step alone would price every minute at 0.10: the whole rate waits for a fix.
    assert reasons(record)[2].startswith("rejected with its group (prefix 34, band any, from 2024-01-01")
    assert reasons(record)[3] == "rate '0;05' is not a decimal number"
    assert stored(tariff) == []


def test_a_step_whose_date_cannot_be_read_takes_every_rate_of_its_prefix(operator):
    tariff = make_tariff(tenant=operator)
    body = deck("34,Spain,,2024-01-01,0,,0.10,60,60,,,", "34,Spain,,01/01/2024,60,,0.05,60,60,,,")

    record = rate_deck_import(tariff=tariff, file=body)

    assert "line 3: effective_from '01/01/2024'" in reasons(record)[2]
    assert stored(tariff) == []


def test_reimporting_the_same_deck_adds_nothing_and_rejects_the_same_lines(operator):
    tariff = make_tariff(tenant=operator)
    body = deck("34,Spain,,2024-01-01,0,,0.10,60,60,,,", "44,UK,,2024-01-01,0,,zero,60,60,,,")
    first = rate_deck_import(tariff=tariff, file=body)
    revision = type(tariff).objects.get(pk=tariff.pk).revision

    again = rate_deck_import(tariff=tariff, file=body)

    assert (first.lines_loaded, first.lines_rejected) == (1, 1)
    assert (again.lines_read, again.lines_loaded, again.lines_unchanged, again.lines_rejected) == (2, 0, 1, 1)
    assert TariffRateStep.objects.filter(tariff=tariff).count() == 1
    assert type(tariff).objects.get(pk=tariff.pk).revision == revision  # nothing to recompile


def test_a_changed_rate_already_in_force_is_refused_but_a_future_one_is_replaced(operator):
    tariff = make_tariff(tenant=operator)
    future = (timezone.now() + timedelta(days=30)).date().isoformat()
    rate_deck_import(
        tariff=tariff, file=deck("34,Spain,,2024-01-01,0,,0.10,60,60,,,", f"34,Spain,,{future},0,,0.08,60,60,,,")
    )

    record = rate_deck_import(
        tariff=tariff, file=deck("34,Spain,,2024-01-01,0,,0.09,60,60,,,", f"34,Spain,,{future},0,,0.07,60,60,,,")
    )

    assert "already in force with other steps; send the change with a later effective_from" in reasons(record)[2]
    assert (record.lines_loaded, record.lines_rejected) == (1, 1)
    assert record.report["groups"] == {"inserted": 0, "replaced": 1, "unchanged": 0, "refused": 1}
    assert [row[4] for row in stored(tariff)] == [D("0.10"), D("0.07")]


def test_a_band_is_named_case_insensitively_and_stored_as_the_tenant_spells_it(operator, peak):
    tariff = make_tariff(tenant=operator)

    rate_deck_import(tariff=tariff, file=deck("34,Spain,PEAK,2024-01-01,0,,0.10,60,60,,,"))

    assert stored(tariff)[0][1] == "peak"


def test_another_tenants_band_is_unknown(operator, reseller_a):
    make_band(tenant=reseller_a, name="happy", weekdays=[5], start=time(0), end=time(0))
    tariff = make_tariff(tenant=operator)

    record = rate_deck_import(tariff=tariff, file=deck("34,Spain,happy,2024-01-01,0,,0.10,60,60,,,"))

    assert reasons(record) == {2: "time_band 'happy' is not one of this tenant's time bands"}


def test_a_date_without_offset_starts_on_the_tenants_wall_clock(operator):
    operator.timezone = "Europe/Madrid"
    operator.save()
    tariff = make_tariff(tenant=operator)

    rate_deck_import(
        tariff=tariff, file=deck("34,Spain,,2024-07-01,0,,0.10,60,60,,,", "44,UK,,2024-07-01 12:00,0,,0.10,60,60,,,")
    )

    # Midnight / noon in Madrid in summer (UTC+2).
    assert sorted(TariffRateStep.objects.values_list("effective_from", flat=True)) == [
        datetime(2024, 6, 30, 22, tzinfo=UTC),
        datetime(2024, 7, 1, 10, tzinfo=UTC),
    ]


def test_unknown_columns_are_ignored_with_a_warning_and_optional_columns_may_be_absent(operator):
    tariff = make_tariff(tenant=operator)
    body = deck("34,0.10,60,60,2024-01-01,x", header="prefix,rate,rate_unit,increment,effective_from,comment")

    record = rate_deck_import(tariff=tariff, file=body)

    assert record.lines_loaded == 1
    assert record.report["warnings"] == ["Ignored unknown column(s): comment."]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "The file is empty."),
        (b"34,Spain,,2024-01-01,0,,0.10,60,60,,,\n", "The first line must be the header"),
        (HEADER.encode() + b"\n34,Espa\xf1a,,2024-01-01,0,,0.10,60,60,,,\n", "not UTF-8 text (line 2"),
    ],
)
def test_a_file_that_is_not_a_deck_is_refused_whole(operator, body, message):
    tariff = make_tariff(tenant=operator)

    with pytest.raises(RateDeckInvalid, match=re.escape(message)):
        rate_deck_import(tariff=tariff, file=body)

    assert not RateDeckImport.objects.exists()


def test_voice_units_are_refused_in_a_data_deck(operator):
    tariff = make_tariff(tenant=operator, service="data")

    record = rate_deck_import(tariff=tariff, file=deck("*,Internet,,2024-01-01,0,,0.01,60s,1,,,"))

    assert reasons(record) == {2: "rate_unit '60s': unit 's' is not one of b, kb, mb, gb for data"}


# ----------------------------------------------------------------------------- manage.py import_rate_deck


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("import_rate_deck", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_takes_a_tariff_code_and_prints_the_report(operator, tmp_path):
    tariff = make_tariff(tenant=operator, code="wholesale-voice")
    path = tmp_path / "deck.csv"
    path.write_bytes(deck("34,Spain,,2024-01-01,0,,0.10,60,60,,,", "44,UK,,2024-01-01,0,,-1,60,60,,,"))

    output = run_command("wholesale-voice", str(path))

    assert "Read 2 lines: 1 loaded, 0 unchanged, 1 rejected" in output
    assert "line 3: rate '-1' must be a non-negative amount" in output
    assert RateDeckImport.objects.get().source == "command"
    assert TariffRateStep.objects.filter(tariff=tariff).count() == 1


def test_the_command_takes_a_price_plan_code_and_a_service(operator, tmp_path):
    voice, sms = make_tariff(tenant=operator), make_tariff(tenant=operator, service="sms")
    make_plan(tenant=operator, code="mobile-m", tariffs={"voice": voice, "sms": sms})
    path = tmp_path / "sms.csv"
    path.write_bytes(deck("*,Any,,2024-01-01,0,,0.05,1,1,,,"))

    with pytest.raises(CommandError, match="choose one with --service"):
        run_command("mobile-m", str(path))
    run_command("mobile-m", str(path), "--service", "sms")

    assert TariffRateStep.objects.filter(tariff=sms).count() == 1
    assert not TariffRateStep.objects.filter(tariff=voice).exists()


def test_the_command_asks_for_the_tenant_when_two_share_a_code(operator, reseller_a, tmp_path):
    make_tariff(tenant=operator, code="voice")
    theirs = make_tariff(tenant=reseller_a, code="voice")
    path = tmp_path / "deck.csv"
    path.write_bytes(deck("34,Spain,,2024-01-01,0,,0.10,60,60,,,"))

    with pytest.raises(CommandError, match="--tenant"):
        run_command("voice", str(path))
    run_command("voice", str(path), "--tenant", reseller_a.code)

    assert TariffRateStep.objects.get().tariff == theirs


def test_the_example_decks_in_the_documentation_load_without_rejections(operator, peak):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "rating.md").read_text()
    blocks = docs.split("```")[1::2]  # the text inside each fenced block
    examples = [block.lstrip() for block in blocks if block.startswith("\nprefix,") and block.count("\n") > 2]
    voice, data = make_tariff(tenant=operator), make_tariff(tenant=operator, service="data")

    records = [
        rate_deck_import(tariff=tariff, file=text.encode())
        for tariff, text in zip((voice, data), examples, strict=True)
    ]

    assert [(r.lines_read, r.lines_rejected) for r in records] == [(7, 0), (2, 0)]
