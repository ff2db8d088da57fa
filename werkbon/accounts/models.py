"""Tenant (one company account), User (a person in one tenant, with a role) and ApiToken."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from werkbon.accounts.tenancy import TenantScopedModel


class Tenant(models.Model):
    """One company account. Every row of business data belongs to exactly one tenant."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    # Sales prices are the office's business: technicians see them (API, work-order PDF)
    # only when the company says so.
    technicians_see_prices = models.BooleanField(_("technicians see sales prices"),
                                                 default=False)
    # Technicians may make a work order on site for an imported customer (planned on
    # themselves, today); the office sees who made it.
    technicians_create_work_orders = models.BooleanField(
        _("technicians make work orders on site"), default=True,
        help_text=_("A technician may make a work order for a customer and work address on "
                    "site, planned on themselves for today."))
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
    def sees_prices(self) -> bool:
        """True for the office, and for technicians when their tenant shows them prices."""
        if self.is_office:
            return True
        return bool(self.tenant is not None and self.tenant.technicians_see_prices)

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


class ApiToken(TenantScopedModel):
    """A key for the JSON API (``Authorization: Bearer <key>``), acting as ``user``.

    Only the SHA-256 hex digest of the key is stored; the key itself is shown once, when
    :meth:`issue` makes it. ``prefix`` (the first characters of the key) lets people tell
    their tokens apart without revealing them. A revoked token never authenticates again.
    """

    KEY_PREFIX = "wb_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # After this moment the token no longer authenticates (None: never, for tokens made
    # before expiry existed). New tokens get WERKBON_API_TOKEN_DAYS unless asked otherwise.
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str, *, days: int | None = None) -> tuple[ApiToken, str]:
        """Make a token for ``user`` (who must belong to a tenant); returns ``(token, key)``.

        It expires after ``days`` (default ``settings.WERKBON_API_TOKEN_DAYS``).
        The key is not stored and cannot be shown again. Raises ValueError for a user
        without a tenant (support staff), who cannot use the API.
        """
        lifetime = days if days is not None else settings.WERKBON_API_TOKEN_DAYS
        token = cls(user=user, name=name,
                    expires_at=timezone.now() + dt.timedelta(days=lifetime))
        key = token.assign_new_key()
        token.save()
        return token, key

    def assign_new_key(self) -> str:
        """Give this (unsaved) token a fresh random key and its user's tenant; returns the key."""
        if self.user.tenant_id is None:
            raise ValueError("API tokens are for users of a company account.")
        key = self.KEY_PREFIX + secrets.token_urlsafe(32)
        self.tenant_id = self.user.tenant_id
        self.prefix = key[:12]
        self.key_hash = self.hash_key(key)
        return key

    @classmethod
    def user_for_key(cls, key: str) -> User | None:
        """The active tenant user a valid, unrevoked ``key`` belongs to, else None.

        Runs before any tenant is known (the key decides the tenant), hence ``all_tenants``.
        ``last_used_at`` is written at most once a minute per token.
        """
        if not key.startswith(cls.KEY_PREFIX):
            return None
        token = (
            cls.all_tenants.select_related("user", "user__tenant")
            .filter(key_hash=cls.hash_key(key), revoked_at__isnull=True)
            .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now()))
            .first()
        )
        if token is None:
            return None
        user = token.user
        if not user.is_active or user.tenant_id is None or user.tenant_id != token.tenant_id:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
            cls.all_tenants.filter(pk=token.pk).update(last_used_at=now)
        return user

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            type(self).all_tenants.filter(pk=self.pk).update(revoked_at=self.revoked_at)
