"""Data migration: the usage file format presets every tenant may use (tenant empty).

- asterisk-master: Asterisk `cdr_csv` Master.csv with its default columns (loguniqueid and loguserfield on);
  no header, every string quoted, local time, billable seconds in `billsec`.
- freeswitch-csv: FreeSWITCH `mod_cdr_csv` with the default "example" template (A legs); no header.
- edr-generic: a generic event record CSV with a header, for data sessions, SMS and voice in one file.
"""

from django.db import migrations

ASTERISK_COLUMNS = [
    "accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
    "start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield",
]  # fmt: skip
FREESWITCH_COLUMNS = [
    "caller_id_name", "caller_id_number", "destination_number", "context", "start_stamp", "answer_stamp",
    "end_stamp", "duration", "billsec", "hangup_cause", "uuid", "bleg_uuid", "accountcode", "read_codec",
    "write_codec",
]  # fmt: skip
EDR_COLUMNS = ["record_id", "service", "subscriber", "destination", "start", "duration", "volume", "leg"]

PRESETS = [
    {
        "code": "asterisk-master",
        "name": "Asterisk Master.csv (cdr_csv)",
        "has_header": False,
        "columns": ASTERISK_COLUMNS,
        "mapping": {
            "record_id": "uniqueid",
            "subscriber": "src",
            "destination": "dst",
            "start": "start",
            "answer": "answer",
            "end": "end",
            "duration": "billsec",
            "disposition": "disposition",
        },  # fmt: skip
        "service": "voice",
        "answered_values": ["ANSWERED"],
        "key_prefix": "ast",
    },
    {
        "code": "freeswitch-csv",
        "name": "FreeSWITCH mod_cdr_csv (example template)",
        "has_header": False,
        "columns": FREESWITCH_COLUMNS,
        "mapping": {
            "record_id": "uuid",
            "subscriber": "caller_id_number",
            "destination": "destination_number",
            "start": "start_stamp",
            "answer": "answer_stamp",
            "end": "end_stamp",
            "duration": "billsec",
            "disposition": "hangup_cause",
        },  # fmt: skip
        "service": "voice",
        "answered_values": [],
        "key_prefix": "fs",
    },
    {
        "code": "edr-generic",
        "name": "Generic EDR CSV (voice, SMS, data)",
        "has_header": True,
        "columns": EDR_COLUMNS,
        "mapping": {
            "record_id": "record_id",
            "leg": "leg",
            "service": "service",
            "subscriber": "subscriber",
            "destination": "destination",
            "start": "start",
            "duration": "duration",
            "volume": "volume",
        },  # fmt: skip
        "service": "",
        "service_values": {
            "voice": "voice",
            "sms": "sms",
            "data": "data",
            "MOC": "voice",
            "SMS-MO": "sms",
            "GPRS": "data",
        },  # fmt: skip
        "answered_values": [],
        "key_prefix": "edr",
    },
]


def seed(apps, schema_editor):
    UsageFormat = apps.get_model("rating", "UsageFormat")
    for preset in PRESETS:
        UsageFormat.objects.get_or_create(tenant=None, code=preset["code"], defaults=preset)


def unseed(apps, schema_editor):
    apps.get_model("rating", "UsageFormat").objects.filter(tenant=None, code__in=[p["code"] for p in PRESETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("rating", "0008_usage_import")]
    operations = [migrations.RunPython(seed, unseed)]
