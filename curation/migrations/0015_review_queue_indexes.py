"""The review queue's order (created_at, id) over pending items only, so a reviewer's queue page and
its capped count read the first rows in order and stop, however many items are pending (README,
"The review queue at depth"). The NOT EXISTS lookups of the queue use the unique (submission,
reviewer) indexes of reviews and recusals (0004) and the chain_root index (0011)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("curation", "0014_build_heartbeat")]

    operations = [
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(condition=models.Q(("status", "pending")), fields=["created_at", "id"],
                               name="submission_pending_queue"),
        ),
    ]
