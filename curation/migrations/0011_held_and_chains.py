"""The `held` status (DESIGN.md section 4), the submitter's reason for a held resubmission, and
chains of linked items: each item names the first item of its chain, so "an earlier item of the
chain" is one indexed condition. Existing links (`previous`) are walked to fill it in."""

import django.db.models.deletion
from django.db import migrations, models


def fill_chain_roots(apps, schema_editor):
    Submission = apps.get_model("curation", "Submission")
    roots: dict = {}
    # Oldest first: an item's earlier item is always older, so its root is known by then.
    for pk, previous_id in Submission.objects.filter(previous__isnull=False).order_by("created_at") \
            .values_list("pk", "previous_id").iterator():
        roots[pk] = roots.get(previous_id, previous_id)
        Submission.objects.filter(pk=pk).update(chain_root_id=roots[pk])


class Migration(migrations.Migration):

    dependencies = [
        ('curation', '0010_releases_refuse_truncate'),
    ]

    operations = [
        migrations.AddField(
            model_name='submission',
            name='chain_root',
            field=models.ForeignKey(blank=True, help_text='The first item of the chain of linked items (earlier item, its earlier item, ...).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='curation.submission'),
        ),
        migrations.AddField(
            model_name='submission',
            name='hold_reason',
            field=models.CharField(blank=True, help_text="The submitter's reason for resubmitting a signature of a rejected item (held items).", max_length=500),
        ),
        migrations.AlterField(
            model_name='submission',
            name='status',
            field=models.CharField(choices=[('held', 'Held'), ('pending', 'Pending'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn'), ('retracted', 'Retracted')], default='pending', max_length=16),
        ),
        migrations.RunPython(fill_chain_roots, migrations.RunPython.noop),
    ]
