"""Make the audit log append-only on PostgreSQL: a trigger refuses UPDATE and DELETE.

TRUNCATE is left alone on purpose: test suites flush tables with it. In production the
application's database role should not be granted TRUNCATE on this table.

On SQLite (the embedded demo) this migration does nothing; the services never update or
delete audit entries anyway, and the admin offers no way to.
"""

from django.db import migrations

TABLE = "moderation_auditentry"

FORWARD = f"""
CREATE OR REPLACE FUNCTION moderation_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: % is not allowed on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER moderation_audit_no_update_delete
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION moderation_audit_refuse_change();
"""

BACKWARD = f"""
DROP TRIGGER IF EXISTS moderation_audit_no_update_delete ON {TABLE};
DROP FUNCTION IF EXISTS moderation_audit_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
