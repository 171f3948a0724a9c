"""Recovery codes were stored as typed; store each as its keyed digest instead (G10).

A code looks like `1a2b3c-4d5e6f`; a digest is 16 hex digits, so the two never mix and running
this again changes nothing. Backwards is impossible (a digest does not give the code back): the
reverse step leaves the digests, which then match no typed code, and people use their authenticator.
"""

import re

from django.db import migrations

PLAIN = re.compile(r"^[0-9a-f]{6}-[0-9a-f]{6}$")


def hash_codes(apps, schema_editor):
    from accounts.mfa import recovery_code_digest

    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.all().iterator():
        if PLAIN.match(token.token):
            token.token = recovery_code_digest(token.token)
            token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_role_request_criteria_publish"), ("otp_static", "0001_initial")]

    operations = [migrations.RunPython(hash_codes, migrations.RunPython.noop)]
