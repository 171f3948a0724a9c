from django.db import migrations


def create_groups(apps, schema_editor):
    Organisation = apps.get_model("accounts", "Organisation")
    Group = apps.get_model("auth", "Group")
    for org in Organisation.objects.filter(group__isnull=True):
        org.group = Group.objects.create(name=f"organisation:{org.pk}")
        org.save(update_fields=["group"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_organisation_group"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
