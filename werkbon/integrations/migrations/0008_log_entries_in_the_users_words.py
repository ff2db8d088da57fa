"""Existing log entries read as new ones do (the log shows them in the user's language):

* the wipe entry named the tables by their internal keys ("contact_persons, customers, …"):
  now the English msgids of their names in the manual's order, translated when shown;
* a document's status read back ("… is now on hold in Visma.net") was not translated;
* a settings entry's reference held the whole question, or the key "company": now the
  setting's short label (``forms.SHORT_LABELS``).

The texts are copied here on purpose: a migration must not change when the code does.
"""

from django.db import migrations

TRANSLATE_KEY = "_translate"
WIPE_MESSAGE = "Local data wiped before activation: %(tables)s. Backup: %(backup)s."
STATUS_MESSAGE = "%(document)s of work order %(number)s is now %(state)s in Visma.net."
# activation.WIPE_TABLES in the manual's order: key → the English plural name (a msgid).
TABLE_NAMES = {
    "item_groups": "item groups", "items": "items", "work_orders": "work orders",
    "work_addresses": "work addresses", "customers": "customers", "objects": "installations",
    "contact_persons": "contact persons",
}
# What views.setting_ref stored (a question cut at 100 characters, or a key) → the short label.
SHORT_LABELS = {
    "company": "Company / administration",
    "On which item in your accounting software do you want to register work time?": "Work-time item",
    "On which item in your accounting software do you want to register travel time?": "Travel-time item",
    "The unit of the work-time and travel-time items counts hours": "Unit of the time items",
    "Automatically add a default item?": "Add a default item",
    "Item number in your accounting software": "Default item",
    "An optional filter word, for work orders you do NOT want to send to your accounting software":
        "Filter word",
    "What do you want in the memo/note field in your accounting software?": "Memo/note field",
    "What do you want as customer reference in your accounting software?": "Customer reference",
    "Which documents do you want in your accounting software?": "Documents",
    "Which images of the work order do you want in your accounting software?": "Images",
    "Do you want to fetch orders/quotes from your accounting software as work orders?": "Fetch orders/quotes",
    "Enter an optional filter word": "Filter word for orders/quotes",
    "Do you want to take the order lines over as used items on the work order?": "Order lines",
    "What should an archived work order become in your accounting system?": "Archived work order becomes",
    "Order type of the sales orders": "Order type",
    "Do you want to book the sales order on a warehouse per user?": "Warehouse per user",
    "Choose the default warehouse to book items from.": "Default warehouse",
    "How often are changes fetched from Visma.net (seconds)?": "Fetch interval",
    "I agree to the terms of use of this integration": "Terms of use",
}
SHORT_LABELS.update({
    "work_time_item": "Work-time item", "travel_time_item": "Travel-time item", "default_item": "Default item",
    "filter_word": "Filter word", "order_import": "Fetch orders/quotes",
    "order_import_filter_word": "Filter word for orders/quotes", "sales_order_type": "Order type",
    "warehouse_per_user": "Warehouse per user", "default_warehouse": "Default warehouse",
    "sync_interval_seconds": "Fetch interval",
})


def _translated(params, key):
    keys = list(params.get(TRANSLATE_KEY) or [])
    if key not in keys:
        keys.append(key)
    return {**params, TRANSLATE_KEY: keys}


def forwards(apps, schema_editor):
    LogEntry = apps.get_model("integrations", "LogEntry")
    changed = []
    for entry in LogEntry.objects.filter(message=WIPE_MESSAGE).iterator():
        params = dict(entry.params or {})
        tables = params.get("tables")
        if not isinstance(tables, str):
            continue
        keys = {key.strip() for key in tables.split(",")}
        if not keys <= set(TABLE_NAMES):
            continue
        params["tables"] = [name for key, name in TABLE_NAMES.items() if key in keys]
        entry.params = _translated(params, "tables")
        changed.append(entry)
    for entry in LogEntry.objects.filter(message=STATUS_MESSAGE).iterator():
        if "state" not in ((entry.params or {}).get(TRANSLATE_KEY) or []):
            entry.params = _translated(dict(entry.params or {}), "state")
            changed.append(entry)
    LogEntry.objects.bulk_update(changed, ["params"], batch_size=500)
    references = []
    for entry in LogEntry.objects.filter(table="settings", object_ref__in=list(SHORT_LABELS)).iterator():
        entry.object_ref = SHORT_LABELS[entry.object_ref]
        references.append(entry)
    LogEntry.objects.bulk_update(references, ["object_ref"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0007_merge_20261203_1847"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
