from django.db import migrations

FEEDS = [
    ("standard", "Every format without PhotoDNA values"),
    ("photodna", "PhotoDNA values and the VICS file, for partners licensed to use PhotoDNA"),
]


def create_feeds(apps, schema_editor):
    Feed = apps.get_model("curation", "Feed")
    for name, description in FEEDS:
        Feed.objects.get_or_create(name=name, defaults={"description": description})


class Migration(migrations.Migration):
    dependencies = [("curation", "0005_releases")]

    operations = [migrations.RunPython(create_feeds, migrations.RunPython.noop)]
