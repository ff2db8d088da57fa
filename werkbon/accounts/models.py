"""Tenant (one company account), User (a person in one tenant, with a role) and ApiToken."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from werkbon.accounts.tenancy import TenantScopedModel

# The customer e-mail (werkbon/customermail/): bounds shared by the settings page and the mail.
CUSTOMER_MAIL_SENDER_NAME_MAX = 70
CUSTOMER_MAIL_TEXT_MAX = 1000
# Characters that are invisible or break a line: controls (Cc, incl. \x80-\x9f such as NEL
# U+0085), format characters (Cf: bidi overrides, zero-width spaces, BOM), line and paragraph
# separators (Zl, Zp) and lone surrogates (Cs). Shared with the customer e-mail's ``one_line``.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def is_invisible(character: str) -> bool:
    """Whether ``character`` (one code point) is in :data:`INVISIBLE_CATEGORIES`."""
    return unicodedata.category(character) in INVISIBLE_CATEGORIES


@deconstructible
class SingleLineNameValidator:
    """One line of printable text: no line breaks, control, format (bidi, zero-width) or
    separator characters (:data:`INVISIBLE_CATEGORIES`), so the sender name can never add a
    header to the e-mail or hide text in it; no quotes, backslashes or angle brackets, which
    would look like an address of its own in the From line. Raises ValidationError
    (code ``invalid``)."""

    message = _("Use one line of text without quotes, angle brackets or invisible characters.")
    code = "invalid"

    def __call__(self, value: object) -> None:
        text = str(value)
        if any(is_invisible(ch) or ch in '<>"\\' for ch in text):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleLineNameValidator)

    def __hash__(self) -> int:
        return hash(SingleLineNameValidator)


single_line_name = SingleLineNameValidator()


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
    # The planning board's time axis and each technician's available hours per day (local
    # time, whole hours; the day ends at ``planning_day_end`` o'clock, 24 = midnight).
    planning_day_start = models.PositiveSmallIntegerField(
        _("working day starts at (hour)"), default=7,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text=_("The first hour of the working day on the planning board (0–23)."))
    planning_day_end = models.PositiveSmallIntegerField(
        _("working day ends at (hour)"), default=17,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("The hour the working day ends (1–24, after the start): the hours in between are "
                    "each technician's available hours per day."))
    # Issue 11: the signed work-order PDF e-mailed to the customer at completion.
    customer_mail_enabled = models.BooleanField(
        _("e-mail the work order to the customer"), default=False,
        help_text=_("When a work order is reported completed, the customer receives the "
                    "work-order PDF by e-mail (at the customer's e-mail address, or the one "
                    "the technician enters when completing)."))
    customer_mail_sender_name = models.CharField(
        _("sender name of the e-mail"), max_length=CUSTOMER_MAIL_SENDER_NAME_MAX, blank=True,
        validators=[single_line_name],
        help_text=_("The name the customer sees as the sender; the company name when empty."))
    customer_mail_text = models.TextField(
        _("text of the e-mail"), max_length=CUSTOMER_MAIL_TEXT_MAX, blank=True,
        validators=[MaxLengthValidator(CUSTOMER_MAIL_TEXT_MAX)],
        help_text=_("A short text above the attached work order; a standard Dutch text when "
                    "empty."))
    # "Gereed melden" only with the customer's signature (issue 11; services.complete).
    signature_required = models.BooleanField(
        _("signature required to complete"), default=False,
        help_text=_("A work order can only be reported completed after the customer has signed "
                    "it on the technician's phone."))
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

    def clean(self) -> None:
        super().clean()
        if (self.planning_day_start is not None and self.planning_day_end is not None
                and self.planning_day_end <= self.planning_day_start):
            raise ValidationError({"planning_day_end": _("The working day must end after it starts.")})

    @property
    def available_minutes_per_day(self) -> int:
        """A technician's available minutes per day: the working day's length."""
        return max(0, self.planning_day_end - self.planning_day_start) * 60


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
