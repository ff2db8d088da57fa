"""Support staff (no tenant) can browse every work-order model in the admin."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.conftest import PASSWORD
from werkbon.accounts.models import User
from werkbon.workorders import models

pytestmark = pytest.mark.django_db

MODELS = [models.Customer, models.ContactPerson, models.WorkAddress, models.InstalledObject,
          models.ItemGroup, models.Item, models.WorkOrder, models.TimeEntry, models.MaterialLine,
          models.FormTemplate, models.FormQuestion, models.FilledForm, models.FormAnswer,
          models.AppliedAction]


@pytest.fixture
def support_client(client, db):
    User.objects.create_superuser("support", "support@example.com", PASSWORD)
    assert client.login(username="support", password=PASSWORD)
    return client


def test_it_registers_every_work_order_model():
    for model in MODELS:
        assert admin.site.is_registered(model), model


def test_it_shows_lists_and_change_pages_without_a_tenant(support_client, completed_order, in_tenant_a):
    from werkbon.workorders.models import (
        ContactPerson,
        FilledForm,
        FormAnswer,
        FormQuestion,
        FormTemplate,
        InstalledObject,
        ItemGroup,
    )

    ContactPerson.objects.create(customer=completed_order.customer, name="Zoë")
    InstalledObject.objects.create(work_address=completed_order.work_address, name="Ketel")
    ItemGroup.objects.create(code="CV")
    template = FormTemplate.objects.create(name="Check")
    question = FormQuestion.objects.create(template=template, label="Ok?")
    form = FilledForm.objects.create(work_order=completed_order, template=template)
    FormAnswer.objects.create(form=form, question=question, value="ja")
    models.AppliedAction.objects.create(user=completed_order.completed_by, action="time.add",
                                        client_id="0b6f3c1e-8a4d-4c2e-9f1a-2d3b4c5d6e7f",
                                        work_order=completed_order, result={"id": 1})
    for model in MODELS:
        meta = model._meta
        changelist = support_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, model
        obj = model.all_tenants.first()
        change = support_client.get(
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200, model


def test_it_keeps_an_archived_order_read_only_in_the_admin(support_client, archived_order):
    url = reverse("admin:workorders_workorder_change", args=[archived_order.pk])
    page = support_client.get(url).content.decode()
    assert 'name="_save"' not in page
    support_client.post(url, {"description": "veranderd"})
    archived_order.refresh_from_db()
    assert archived_order.description == "CV-ketel onderhoud"
