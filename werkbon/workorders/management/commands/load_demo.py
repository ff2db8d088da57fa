"""``manage.py load_demo``: the demo company, its users, customers, items and work orders.

Idempotent: records are looked up by their keys (tenant slug, username, customer and item
number, form name) and created only when missing; work orders are made only while the
demo tenant has none, so a second run changes nothing. The orders are spread over the
current week (Europe/Amsterdam) so the planning board shows them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from werkbon.accounts.models import Role, Tenant, User
from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import attachments, services
from werkbon.workorders.models import (
    ContactPerson,
    Customer,
    FormQuestion,
    FormTemplate,
    InstalledObject,
    Item,
    ItemGroup,
    ItemType,
    TimeKind,
    WorkAddress,
    WorkOrder,
)

PASSWORD = "werkbon-demo"  # noqa: S105 (a published demo password, only for the demo data)

CUSTOMERS = [
    # number, name, street, postal code, city, e-mail, phone, extra work addresses
    ("10001", "Bakkerij Müller", "Dorpsstraat 12", "7901 AB", "Hoogeveen",
     "info@bakkerijmuller.nl", "0528-261234",
     [("Filiaal Centrum", "Hoofdstraat", "88", "7901 JR", "Hoogeveen")]),
    ("10002", "Café De Gouden Leeuw", "Markt 3", "8011 LK", "Zwolle",
     "kroeg@goudenleeuw.nl", "038-4211234", []),
    ("10003", "Familie Hendriks-Søndergaard", "Populierenlaan 7", "9402 AB", "Assen",
     "", "06-12345678", []),
    ("10004", "Zoë's Kinderopvang", "Schoolstraat 21", "7421 AA", "Deventer",
     "zoe@kinderopvang.nl", "0570-612345",
     [("Locatie Noord", "Noorderbreedte", "4", "7425 CC", "Deventer")]),
    ("10005", "VvE Residence Belvédère", "Stationsweg 101", "9726 AE", "Groningen",
     "beheer@belvedere.nl", "050-3123456", []),
]

ITEM_GROUPS = [("ARB", "Arbeid en reizen"), ("CV", "CV-onderdelen"), ("SAN", "Sanitair")]
ITEMS = [
    # number, description, unit, price, group
    ("ARBEID", "Arbeid monteur", "uur", "62.50", "ARB"),
    ("REISTIJD", "Reistijd", "uur", "45.00", "ARB"),
    ("VOORRIJDEN", "Voorrijkosten", "st", "35.00", "ARB"),
    ("CV-VULKRAAN", "Vulkraan ½\"", "st", "12.95", "CV"),
    ("CV-EXPVAT", "Expansievat 18 liter", "st", "74.50", "CV"),
    ("CV-THERMO", "Thermostaat modulerend", "st", "129.00", "CV"),
    ("SAN-KRAAN", "Mengkraan keuken", "st", "89.95", "SAN"),
    ("SAN-PIJP15", "Koperen pijp 15 mm", "m", "4.95", "SAN"),
]

FORM_QUESTIONS = [
    ("Waterdruk (bar)", "number", "", True),
    ("Rookgasafvoer gecontroleerd?", "yes_no", "", True),
    ("Toestand ketel", "choice", "Goed\nRedelijk\nSlecht", False),
    ("Bijzonderheden", "text", "", False),
    ("Foto typeplaatje", "photo", "", False),
]


def _signature_png() -> bytes:
    """A drawn signature as the phone's canvas sends it (PNG, a dark scribble on white)."""
    import io
    import math

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 120), "white")
    points = [(20 + x, 60 + 30 * math.sin(x / 18) * math.cos(x / 47)) for x in range(0, 320, 4)]
    ImageDraw.Draw(image).line(points, fill=(20, 30, 80), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Load the demo company (slug 'demo'); safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            tenant, created = Tenant.objects.get_or_create(
                slug="demo",
                defaults={"name": "Installatietechniek Demo B.V.", "address": "Industrieweg 12",
                          "postal_code": "7903 AK", "city": "Hoogeveen",
                          "email": "info@demo-installatie.nl", "phone": "0528-123456"},
            )
            self.say(f"tenant {tenant.name}", created)
            office = self.user(tenant, "kantoor", Role.OFFICE, "Karin", "de Kantoor-Boër")
            piet = self.user(tenant, "piet", Role.TECHNICIAN, "Piet", "Jansen", "BUS1")
            fatima = self.user(tenant, "fatima", Role.TECHNICIAN, "Fatima", "El Amrani", "BUS2")
            self.support()
            with tenant_context(tenant):
                customers = self.customers()
                items = self.items()
                self.form_template()
                if WorkOrder.objects.exists():
                    self.stdout.write("work orders: already there, left alone")
                else:
                    self.work_orders(customers, items, office, piet, fatima)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready. Log in with kantoor, piet or fatima (password {PASSWORD}); "
            f"support staff: support."))

    def say(self, what: str, created: bool) -> None:
        self.stdout.write(f"{'created' if created else 'exists '}  {what}")

    def user(self, tenant: Tenant, username: str, role: str, first: str, last: str,
             warehouse: str = "") -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"tenant": tenant, "role": role, "first_name": first, "last_name": last,
                      "default_warehouse": warehouse},
        )
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        self.say(f"user {username} ({role})", created)
        return user

    def support(self) -> None:
        if User.objects.filter(username="support").exists():
            self.say("support user support", False)
            return
        User.objects.create_superuser("support", "support@werkbon.example", PASSWORD,
                                      first_name="Support", tenant=None)
        self.say("support user support (staff, no tenant)", True)

    def customers(self) -> list[Customer]:
        result = []
        for number, name, street, postal, city, email, phone, extra in CUSTOMERS:
            customer, created = Customer.objects.get_or_create(
                number=number,
                defaults={"name": name, "address_line1": street, "postal_code": postal,
                          "city": city, "email": email, "phone": phone},
            )
            if created:
                # The main address is also the first work address (manual 3.3).
                street_name, _sep, house = street.rpartition(" ")
                main = WorkAddress.objects.create(customer=customer, street=street_name,
                                                  house_number=house, postal_code=postal,
                                                  city=city)
                for label, extra_street, extra_house, extra_postal, extra_city in extra:
                    WorkAddress.objects.create(customer=customer, name=label, street=extra_street,
                                               house_number=extra_house,
                                               postal_code=extra_postal, city=extra_city)
                InstalledObject.objects.create(work_address=main, name="CV-ketel", year_installed=2019,
                                               brand="Remeha", model="Calenta Ace 28c",
                                               serial_number=f"RM-{number}")
                ContactPerson.objects.create(customer=customer, name=f"Contact {name}",
                                             phone=phone, email=email)
            self.say(f"customer {number} {name}", created)
            result.append(customer)
        return result

    def items(self) -> dict[str, Item]:
        groups = {}
        for code, description in ITEM_GROUPS:
            groups[code], _created = ItemGroup.objects.get_or_create(
                code=code, defaults={"description": description})
        result = {}
        for number, description, unit, price, group in ITEMS:
            item, created = Item.objects.get_or_create(
                number=number,
                defaults={"description": description, "unit": unit,
                          "sales_price": Decimal(price), "item_type": ItemType.NON_STOCK,
                          "group": groups[group]},
            )
            self.say(f"item {number}", created)
            result[number] = item
        return result

    def form_template(self) -> None:
        template, created = FormTemplate.objects.get_or_create(name="Onderhoud CV-ketel")
        if created:
            for position, (label, kind, choices, required) in enumerate(FORM_QUESTIONS, 1):
                FormQuestion.objects.create(template=template, position=position * 10,
                                            label=label, kind=kind, choices=choices,
                                            required=required)
        self.say("form Onderhoud CV-ketel", created)

    def work_orders(self, customers: list[Customer], items: dict[str, Item], office: User,
                    piet: User, fatima: User) -> None:
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday())

        def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
            return timezone.make_aware(
                dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour, minute)))

        def address(customer: Customer, label: str) -> WorkAddress:
            """The customer's work address named ``label`` ("" = the main address)."""
            addresses = customer.work_addresses.order_by("id")
            return (addresses.filter(name=label).first() if label else None) or addresses.first()  # type: ignore[return-value]

        müller, cafe, hendriks, zoe, vve = customers
        def boiler(customer: Customer) -> list[InstalledObject]:
            """The CV-ketel at the customer's main address (made with the customer)."""
            return list(InstalledObject.objects.filter(work_address=address(customer, ""), name="CV-ketel")[:1])

        plans = [
            (müller, "", "Jaarlijks onderhoud CV-ketel, ook vulkraan nakijken.", "PO-2024-117",
             [piet], at(0, 8, 30), "archived", boiler(müller)),
            (cafe, "", "Lekkage onder de bar verhelpen; mengkraan vervangen.", "Bon 5521",
             [fatima], at(1, 9), "completed", []),
            (hendriks, "", "Thermostaat vervangen door modulerende thermostaat.", "",
             [piet], at(2, 13), "planned", []),
            (zoe, "Locatie Noord", "Storing warm water in de keuken.", "ZK-88",
             [fatima], at(3, 10, 30), "planned", []),
            (vve, "", "Expansievat CV-installatie kelder controleren en zo nodig vervangen.",
             "VvE-2024-03", [piet, fatima], at(4, 8), "planned", boiler(vve)),
            (cafe, "", "Offerte: nieuwe boiler voor de keuken opnemen.", "", [], None, "open", []),
            (müller, "Filiaal Centrum", "Radiator in de winkel tikt, ontluchten.", "", [], None,
             "open", []),
        ]
        for customer, label, description, reference, techs, start, status, named in plans:
            order = services.create_work_order(
                customer=customer, work_address=address(customer, label), description=description,
                customer_reference=reference, technicians=techs, planned_start=start,
                planned_minutes=90,
            )
            if named:
                order = services.set_installations(order, installations=named)
            if status in ("completed", "archived"):
                tech = techs[0]
                day = timezone.localtime(start).date()
                services.add_time_entry(order, technician=tech, kind=TimeKind.WORK,
                                        minutes=135, date=day)
                services.add_time_entry(order, technician=tech, kind=TimeKind.TRAVEL,
                                        minutes=20, date=day)
                first, second = (("CV-VULKRAAN", "SAN-PIJP15") if customer is müller
                                 else ("SAN-KRAAN", "SAN-PIJP15"))
                services.add_material_line(order, item=items[first], quantity=Decimal("1"),
                                           technician=tech)
                services.add_material_line(order, item=items[second], quantity=Decimal("2.5"),
                                           note="afvoer vernieuwd", technician=tech)
                # Signed as on the phone, so the order shows the signature its signer gave.
                signer = "Jörg Müller" if customer is müller else "Ronaldo Peña"
                attachments.capture_signature(order, user=tech, signer_name=signer,
                                              image_bytes=_signature_png())
                order = services.complete(WorkOrder.objects.get(pk=order.pk), user=tech)
            if status == "archived":
                order = services.archive(order, user=office)
            self.stdout.write(f"created  work order {order.number} ({order.get_status_display()})"
                              f" {customer.name}")
