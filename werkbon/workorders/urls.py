"""URLs of the work-order app, mounted at ``/werkorders/`` (Dutch paths, English names)."""

from django.urls import path

from werkbon.workorders.views import (
    attachments,
    customers,
    forms,
    history,
    installations,
    items,
    offline,
    planning,
    technician,
    workorders,
)

app_name = "workorders"

urlpatterns = [
    # office: work orders
    path("", workorders.work_order_list, name="list"),
    path("nieuw/", workorders.work_order_create, name="create"),
    path("werkadressen/", workorders.work_address_options, name="work_address_options"),
    path("<int:pk>/", workorders.work_order_detail, name="detail"),
    path("<int:pk>/bewerken/", workorders.work_order_edit, name="edit"),
    path("<int:pk>/tijd/<int:entry_pk>/", workorders.time_entry_edit, name="time_entry_edit"),
    path("<int:pk>/tijd/<int:entry_pk>/verwijderen/", workorders.time_entry_delete,
         name="time_entry_delete"),
    path("<int:pk>/materiaal/<int:line_pk>/", workorders.material_line_edit,
         name="material_line_edit"),
    path("<int:pk>/materiaal/<int:line_pk>/verwijderen/", workorders.material_line_delete,
         name="material_line_delete"),
    path("<int:pk>/nieuw-werkadres/", history.take_new_address, name="take_new_address"),
    path("<int:pk>/materiaal/<int:line_pk>/nieuwe-artikelgegevens/", history.take_new_item_values,
         name="take_new_item_values"),
    path("<int:pk>/heropenen/", workorders.work_order_reopen, name="reopen"),
    path("<int:pk>/archiveren/", workorders.work_order_archive, name="archive"),
    path("<int:pk>/werkbon.pdf", workorders.work_order_pdf, name="pdf"),
    path("<int:pk>/formulieren.pdf", workorders.forms_pdf, name="forms_pdf"),
    # shared by office and the order's technicians
    path("<int:pk>/tijd/", technician.add_time_entry, name="add_time_entry"),
    path("<int:pk>/materiaal/", technician.add_material_line, name="add_material_line"),
    path("<int:pk>/gereed/", technician.complete, name="complete"),
    path("<int:pk>/formulier/<int:template_pk>/", forms.fill_form, name="fill_form"),
    path("<int:pk>/foto/<int:answer_pk>/", forms.answer_photo, name="answer_photo"),
    path("<int:pk>/handtekening/", attachments.capture_signature, name="capture_signature"),
    path("<int:pk>/handtekening.png", attachments.signature_image, name="signature_image"),
    path("<int:pk>/fotos/", attachments.add_photos, name="add_photos"),
    path("<int:pk>/fotos/<int:photo_pk>/", attachments.photo, name="photo"),
    path("<int:pk>/fotos/<int:photo_pk>/verwijderen/", attachments.delete_photo, name="delete_photo"),
    # technician
    path("mijn/", technician.my_work, name="my_work"),
    path("mijn/<int:pk>/", technician.my_work_order, name="my_work_order"),
    path("mijn/nieuw/", technician.create_on_site, name="create_on_site"),
    path("mijn/werkadressen/", technician.on_site_address_options, name="on_site_address_options"),
    # the technician's offline app (issue 12; the service worker is /sw.js, werkbon/urls.py)
    path("app/", offline.app_shell, name="app"),
    path("app/gegevens/", offline.offline_data_view, name="offline_data"),
    path("app/manifest.webmanifest", offline.manifest, name="manifest"),
    # planning
    path("planning/", planning.planning, name="planning"),
    path("planning/<int:pk>/plannen/", planning.plan, name="plan"),
    # customers and work addresses
    path("klanten/", customers.customer_list, name="customer_list"),
    path("klanten/nieuw/", customers.customer_edit, name="customer_create"),
    path("klanten/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("klanten/<int:pk>/bewerken/", customers.customer_edit, name="customer_edit"),
    path("klanten/<int:pk>/werkadres/", customers.work_address_add, name="work_address_add"),
    # installations ("objecten") of a work address, and those a work order is done on
    path("werkadressen/<int:pk>/objecten/", installations.installation_list,
         name="installation_list"),
    path("werkadressen/<int:pk>/objecten/nieuw/", installations.installation_create,
         name="installation_create"),
    path("objecten/<int:pk>/", installations.installation_detail, name="installation_detail"),
    path("objecten/<int:pk>/bewerken/", installations.installation_edit, name="installation_edit"),
    path("objecten/<int:pk>/actief/", installations.installation_set_active,
         name="installation_set_active"),
    path("objecten/<int:pk>/verwijderen/", installations.installation_delete,
         name="installation_delete"),
    path("<int:pk>/objecten/", installations.set_installations, name="set_installations"),
    # items
    path("artikelen/", items.item_list, name="item_list"),
    path("artikelen/nieuw/", items.item_edit, name="item_create"),
    path("artikelen/zoeken/", items.item_options, name="item_options"),
    path("artikelen/groepen/", items.item_groups, name="item_groups"),
    path("artikelen/<int:pk>/bewerken/", items.item_edit, name="item_edit"),
    # custom form templates
    path("formulieren/", forms.template_list, name="template_list"),
    path("formulieren/<int:pk>/", forms.template_detail, name="template_detail"),
    path("formulieren/<int:pk>/vragen/<int:question_pk>/verwijderen/", forms.question_delete,
         name="question_delete"),
]
