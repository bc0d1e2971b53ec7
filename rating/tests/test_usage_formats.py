"""Each preset reads real-looking files: quoted and unquoted fields, a byte-order mark, CRLF line ends, a
truncated last line; billable seconds come from billsec, not from the timestamps."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from rating.models import RejectReason, UsageFormat
from rating.services.usage.formats import FormatError, FormatReader, FormatSpec
from rating.services.usage.records import RejectRow, UsageRow
from rating.tests.usage_factories import asterisk_line, preset

NOW = datetime(2024, 3, 6, tzinfo=UTC)
FS_LINE = (
    '"Alice","+353871000001","0034911222333","default","2024-03-05 10:00:00","2024-03-05 10:00:05",'
    '"2024-03-05 10:01:10","70","65","NORMAL_CLEARING","3f1c2a9e-5b7d-4e21-9a0f-1c2d3e4f5a6b","","","PCMA","PCMA"\n'
)
EDR_TEXT = (
    "record_id,service,subscriber,destination,start,duration,volume,leg\n"
    "e1,voice,353871000001,34911222333,2024-03-05T10:00:00Z,60,,\n"
    "e2,sms,353871000001,34911222333,2024-03-05T10:01:00+01:00,,,\n"
    "e3,data,353871000001,,2024-03-05T10:02:00Z,,1048576,\n"
)


def read(code: str, data: bytes, **spec_changes: object) -> list[UsageRow | RejectRow]:
    spec = FormatSpec.from_model(preset(code), tenant_timezone="Europe/Dublin")
    if spec_changes:
        spec = FormatSpec(**{**spec.__dict__, **spec_changes})
    return [item for chunk in FormatReader(spec, now=NOW).read(io.BytesIO(data)) for item in chunk]


def test_asterisk_master_quoted_line_is_read_with_billsec_and_answer_time(db):
    line = asterisk_line("1709632800.17", "353871000001", "34911222333", "2024-03-05 10:00:00", 42,
                         answer="2024-03-05 10:00:07")  # fmt: skip

    [row] = read("asterisk-master", line.encode())

    assert isinstance(row, UsageRow)
    assert row.key == "ast:1709632800.17"
    assert (row.subscriber, row.destination, row.service) == ("353871000001", "34911222333", "voice")
    assert row.usage == 42  # billsec; the line's duration (47) and end time are not used
    # Local time of the tenant (Dublin is on UTC in March): billing starts at the answer time.
    assert row.start == datetime(2024, 3, 5, 10, 0, 7, tzinfo=UTC)
    assert row.answered is True


def test_asterisk_master_unquoted_with_bom_and_crlf_reads_every_line(db):
    # As other tools (or Asterisk's own cdr_custom) write it: no quotes, the same 18 columns.
    unquoted = [
        f",353871000001,34911222333,from-internal,Caller <353871000001>,SIP/100-0001,SIP/trunk-0002,Dial,"
        f"SIP/trunk/34911222333,2024-03-05 10:00:00,2024-03-05 10:00:00,2024-03-05 10:01:00,{35 + i},{30 + i},"
        f"ANSWERED,DOCUMENTATION,1709632800.{i},\n"
        for i in range(3)
    ]
    data = "\ufeff" + "".join(line.replace("\n", "\r\n") for line in unquoted)

    rows = read("asterisk-master", data.encode())

    assert [r.usage for r in rows if isinstance(r, UsageRow)] == [30, 31, 32]
    assert rows[0].key == "ast:1709632800.0"  # the byte-order mark did not stick to the first field


def test_truncated_last_line_is_rejected_as_truncated_and_kept_whole(db):
    good = asterisk_line("1709632800.1", "353871000001", "34911222333", "2024-03-05 10:00:00", 30)
    cut = asterisk_line("1709632800.2", "353871000001", "34911222333", "2024-03-05 10:01:00", 30)[:60]

    rows = read("asterisk-master", (good + cut).encode())

    assert isinstance(rows[0], UsageRow)
    assert isinstance(rows[1], RejectRow)
    assert rows[1].reason == RejectReason.TRUNCATED
    assert rows[1].raw == cut
    assert rows[1].line_no == 2


def test_freeswitch_example_template_normalises_numbers_and_uses_billsec(db):
    [row] = read("freeswitch-csv", FS_LINE.encode())

    assert row.key == "fs:3f1c2a9e-5b7d-4e21-9a0f-1c2d3e4f5a6b"
    assert row.subscriber == "353871000001"  # '+' dropped
    assert row.destination == "34911222333"  # international '00' dropped
    assert row.usage == 65
    assert row.start == datetime(2024, 3, 5, 10, 0, 5, tzinfo=UTC)


def test_freeswitch_crlf_and_bom_with_a_truncated_last_line(db):
    second = FS_LINE.replace("3f1c2a9e", "4a2d3b0f").replace('"65"', '"12"')
    data = ("\ufeff" + FS_LINE + second).replace("\n", "\r\n") + FS_LINE[:50]

    rows = read("freeswitch-csv", data.encode())

    assert [type(r).__name__ for r in rows] == ["UsageRow", "UsageRow", "RejectRow"]
    assert rows[1].usage == 12
    assert rows[2].reason == RejectReason.TRUNCATED


def test_generic_edr_reads_voice_sms_and_data_with_offsets(db):
    voice, sms, data = read("edr-generic", EDR_TEXT.encode())

    assert (voice.service, voice.usage, voice.key) == ("voice", 60, "edr:e1:0")
    assert (sms.service, sms.usage) == ("sms", 1)  # no volume: one message
    assert sms.start == datetime(2024, 3, 5, 9, 1, tzinfo=UTC)  # +01:00 offset honoured
    assert (data.service, data.usage, data.destination) == ("data", 1048576, "")


def test_generic_edr_quoted_fields_and_bad_values_are_rejected_with_reasons(db):
    text = (
        "record_id,service,subscriber,destination,start,duration,volume,leg\r\n"
        '"q1","voice","353871000001","34911222333","2024-03-05T10:00:00Z","61","",""\r\n'
        "b1,voice,353871000001,34911222333,2024-03-05T10:00:00Z,6x,,\r\n"
        "b2,voice,353871000001,34911222333,2024-02-30T10:00:00Z,60,,\r\n"
        "b3,fax,353871000001,34911222333,2024-03-05T10:00:00Z,60,,\r\n"
        "b4,voice,,34911222333,2024-03-05T10:00:00Z,60,,\r\n"
        "b5,voice,353871000001,34911222333,2030-03-05T10:00:00Z,60,,\r\n"
    )

    rows = read("edr-generic", text.encode())

    assert rows[0].usage == 61
    assert [(r.key, r.reason) for r in rows[1:]] == [
        ("edr:b1:0", RejectReason.MALFORMED),
        ("edr:b2:0", RejectReason.MALFORMED),
        ("edr:b3:0", RejectReason.UNKNOWN_SERVICE),
        ("edr:b4:0", RejectReason.MALFORMED),
        ("edr:b5:0", RejectReason.OUT_OF_ORDER),
    ]
    assert rows[2].raw == "b2,voice,353871000001,34911222333,2024-02-30T10:00:00Z,60,,"


def test_a_tenant_format_with_its_own_columns_date_format_and_zone(operator):
    fmt = UsageFormat.objects.create(
        tenant=operator, code="pbx", name="Office PBX", has_header=True, delimiter=";", key_prefix="pbx",
        mapping={"record_id": "Call", "subscriber": "From", "destination": "To", "start": "When",
                 "duration": "Secs"},
        service="voice", date_format="%d/%m/%Y %H:%M", timezone="Europe/Madrid",
    )  # fmt: skip
    fmt.full_clean()
    spec = FormatSpec.from_model(fmt)
    text = "Call;From;To;When;Secs\nc-9;353871000001;34911222333;05/03/2024 11:30;125\n"

    [row] = next(FormatReader(spec, now=NOW).read(io.BytesIO(text.encode())))

    assert row.key == "pbx:c-9"
    assert row.start == datetime(2024, 3, 5, 10, 30, tzinfo=UTC)  # 11:30 in Madrid (CET)
    assert row.usage == 125


def test_a_header_without_a_mapped_column_is_a_parse_failure(db):
    with pytest.raises(FormatError, match="duration"):
        read("edr-generic", b"record_id,service,subscriber,destination,start,volume,leg\n")


def test_a_binary_file_is_a_parse_failure(db):
    with pytest.raises(FormatError, match="binary"):
        read("asterisk-master", b"\x00\x01\x02PK\x03\x04")
