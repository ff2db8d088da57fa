"""Tenant (one company account) and User (a person in one tenant, with a role)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tenant(models.Model):
    """One company account. Every row of business data belongs to exactly one tenant."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OFFICE = "office", _("Office")
    TECHNICIAN = "technician", _("Technician")


class User(AbstractUser):
    """A person who logs in. Support staff (``is_staff``) may have no tenant.

    A technician is an employee: ``default_warehouse`` is the Visma.net warehouse code
    their materials are booked from when the integration books per user.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="users"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.TECHNICIAN)
    default_warehouse = models.CharField(_("default warehouse"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["first_name", "last_name", "username"]

    @property
    def is_office(self) -> bool:
        return self.role == Role.OFFICE

    @property
    def is_technician(self) -> bool:
        return self.role == Role.TECHNICIAN

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class WorkerHeartbeat(models.Model):
    """The last time a background worker ran the diagnostic task, per tenant.

    Not business data: it proves that jobs reach a worker and that the worker can write to
    the database (the "worker alive" indicator and the scale-out test read it). The row
    with an empty tenant is the system-wide beat the scheduler sends.
    """

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="worker_heartbeat"
    )
    worker = models.CharField(_("worker"), max_length=200)
    beat_at = models.DateTimeField(_("last beat"))  # UTC
    beats = models.PositiveIntegerField(_("beats"), default=0)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
