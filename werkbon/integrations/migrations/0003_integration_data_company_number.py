from django.db import migrations, models


def stamp_data_company(apps, schema_editor):
    # An integration that was ever active holds the data of the company it was connected to.
    Integration = apps.get_model("integrations", "Integration")
    for integration in Integration.objects.filter(started_at__isnull=False).exclude(company_number=""):
        integration.data_company_number = integration.company_number
        integration.save(update_fields=["data_company_number"])


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0002_syncstate_signpost'),
    ]

    operations = [
        migrations.AddField(
            model_name='integration',
            name='data_company_number',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(stamp_data_company, migrations.RunPython.noop),
    ]
