"""Database-enforced ledger invariants.

1. Zero sum: a deferred constraint trigger checks, at commit, that the entries of every ledger
   transaction touched sum to zero per unit. Code that forgets a leg cannot commit.
2. Append-only: entries and transactions refuse UPDATE and DELETE; corrections are reversals.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION ledger_check_zero_sum() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    SELECT unit_id, SUM(amount) AS total INTO bad
      FROM accounts_ledgerentry WHERE transaction_id = NEW.transaction_id
     GROUP BY unit_id HAVING SUM(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: unit % sums to %',
            NEW.transaction_id, bad.unit_id, bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_zero_sum
    AFTER INSERT ON accounts_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_zero_sum();

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused; post a reversal instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON accounts_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON accounts_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_transaction_append_only ON accounts_ledgertransaction;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON accounts_ledgerentry;
DROP FUNCTION IF EXISTS ledger_refuse_change();
DROP TRIGGER IF EXISTS ledger_entry_zero_sum ON accounts_ledgerentry;
DROP FUNCTION IF EXISTS ledger_check_zero_sum();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
