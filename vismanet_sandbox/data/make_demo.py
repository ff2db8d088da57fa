"""Generate ``demo.json``, the shipped seed: ``python -m vismanet_sandbox.data.make_demo``.

Deterministic (fixed random seed and fixed dates), so the committed file can be checked
against a fresh run. Two companies: "Installatietechniek Demo B.V." (330 customers, 150
non-stock + 30 stock items, 3 warehouses, 10 open SO orders, 5 quotes) and the small
"Kleine Klusjes B.V.".
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vismanet_sandbox import demo

OUT = Path(__file__).with_name("demo.json")
BASE = datetime(2026, 11, 1, 8, 0, 0)

FIRST = ["Jan", "Pieter", "Kees", "Anouk", "Sanne", "Bram", "Daan", "Eva", "Femke", "Joost", "Lotte",
         "Mees", "Noor", "Ruud", "Thijs", "Inge", "Geert", "Hanneke", "Ömer", "Zoë", "Chloë", "Renée",
         "Maël", "Björn", "Søren", "Åsa", "Jürgen", "Inès", "Loïc", "Gaëlle"]
LAST = ["de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
        "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
        "de Wit", "Dijkstra", "Smits", "van Dijk", "Kuipers", "Verhoeven", "Çelik", "Yılmaz",
        "van 't Hof", "d'Hondt", "Ðorđević", "Muñoz", "Lindqvist"]
KINDS = ["Bakkerij", "Café", "Restaurant", "Tandartspraktijk", "Huisartsenpraktijk", "Kapsalon",
         "Garage", "Bloemenhandel", "Zorgcentrum", "Basisschool", "Sportschool", "Hotel", "Brasserie",
         "Drukkerij", "Slagerij", "Fysiotherapie", "Kinderopvang", "Woningstichting", "VvE", "Kerk"]
NAMES = ["De Eendracht", "'t Hoekje", "Zonnehof", "Het Anker", "De Molen", "Crème de la Crème",
         "Bij Ons", "De Ruïne", "Café Één", "Het Gebouw", "Zeezicht", "De Linde", "Het Centrum",
         "Citroën Dealer Noord", "Hôtel du Lac", "De Gouden Leeuw", "Brûlerie", "Het Geërfde Huis",
         "De Kroon", "Het Wapen"]
LEGAL = ["B.V.", "V.O.F.", "", "B.V.", "Stichting", "N.V."]
STREETS = ["Dorpsstraat", "Kerkstraat", "Molenweg", "Stationsplein", "Schoolstraat", "Julianalaan",
           "Beatrixstraat", "Industrieweg", "Havenkade", "Burgemeester de Kockstraat", "Prinsengracht",
           "Oudegracht", "Coöperatieweg", "Rijksstraatweg", "Kanaaldijk", "Heuvelrug", "Bisschopsweg"]
NL_CITIES = [("Utrecht", "3511"), ("Amersfoort", "3811"), ("Zeist", "3701"), ("Nieuwegein", "3431"),
             ("Houten", "3991"), ("'s-Hertogenbosch", "5211"), ("Den Haag", "2511"), ("Zoetermeer", "2711"),
             ("Haarlem", "2011"), ("Groningen", "9711"), ("Leeuwarden", "8911"), ("Sneek", "8601"),
             ("Zwolle", "8011"), ("Arnhem", "6811"), ("Nijmegen", "6511"), ("Eindhoven", "5611"),
             ("Maastricht", "6211"), ("Vlissingen", "4381"), ("Alkmaar", "1811"), ("Woerden", "3441")]
BE_CITIES = [("Liège", "4000", ["Rue de la Régence", "Boulevard d'Avroy", "Place Saint-Lambert"]),
             ("Gent", "9000", ["Veldstraat", "Korenmarkt", "Coupure Links"]),
             ("Leuven", "3000", ["Bondgenotenlaan", "Naamsestraat", "Tiensestraat"]),
             ("Brussel", "1000", ["Rue Neuve", "Boulevard Anspach", "Rue du Marché-aux-Herbes"])]
NORDIC = [("SE", "Malmö", "211 20", ["Södergatan", "Östra Rönneholmsvägen"]),
          ("SE", "Göteborg", "411 05", ["Kungsgatan", "Östra Hamngatan"]),
          ("DK", "Århus", "8000", ["Søndergade", "Åboulevarden"]),
          ("NO", "Tromsø", "9008", ["Storgata", "Fjellstrandvegen"]),
          ("FI", "Jyväskylä", "40100", ["Kauppakatu", "Väinönkatu"])]
CLASSES = [("BINNENLAND", "Binnenlandse klanten"), ("PARTICULIER", "Particulieren"),
           ("BUITENLAND", "Buitenlandse klanten"), ("ZAKELIJK", "Zakelijke klanten")]
TERMS = [("14D", "14 dagen"), ("30D", "30 dagen"), ("CONTANT", "Contant")]


def ts(moment: datetime) -> str:
    """ERP timestamp text ``yyyy-MM-ddTHH:mm:ss.fff`` (naive, milliseconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


class Gen:
    """Seeded random generator for demo data, with running address and contact ids."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.address_id = 5000
        self.contact_id = 9000

    def stamp(self, start: datetime, end: datetime) -> str:
        """A random ERP timestamp in ``[start, end)``."""
        span = int((end - start).total_seconds())
        return ts(start + timedelta(seconds=self.r.randrange(span), milliseconds=self.r.randrange(1000)))

    def person(self) -> str:
        """A random Dutch first and last name."""
        return f"{self.r.choice(FIRST)} {self.r.choice(LAST)}"

    def address(self, country: str = "NL") -> dict[str, Any]:
        """A compact ERP address (``addressId``, lines, ``postalCode``, ``city``, ``countryId``) in ``country``."""
        self.address_id += 1
        r = self.r
        if country == "NL":
            city, pc = r.choice(NL_CITIES)
            line1 = f"{r.choice(STREETS)} {r.randint(1, 240)}{r.choice(['', '', '', 'a', 'bis', '-2'])}"
            postal = f"{pc[:2]}{int(pc[2:]) + r.randint(0, 80):02d} {r.choice('ABCDEGHJKLMNPRSTVWXZ')}{r.choice('ABCDEGHJKLMNPRSTVWXZ')}"
        elif country == "BE":
            city, postal, streets = r.choice(BE_CITIES)
            line1 = f"{r.choice(streets)} {r.randint(1, 120)}"
        else:
            country, city, postal, streets = next(n for n in NORDIC if n[0] == country) if any(
                n[0] == country for n in NORDIC) else r.choice(NORDIC)
            line1 = f"{r.choice(streets)} {r.randint(1, 90)}"
        return {"addressId": self.address_id, "addressLine1": line1, "addressLine2": None, "addressLine3": None,
                "postalCode": postal, "city": city, "countryId": country}

    def contact(self, company: str, person: str | None = None) -> dict[str, Any]:
        """A compact ERP contact for ``company`` with example e-mail and phone."""
        self.contact_id += 1
        slug = "".join(ch for ch in company.lower() if ch.isascii() and ch.isalnum())[:18] or "klant"
        return {"contactId": self.contact_id, "name": company, "attention": person or self.person(),
                "email": f"info@{slug}.example", "web": None,
                "phone1": f"0{self.r.randint(10, 79)}-{self.r.randint(1000000, 9999999)}", "phone2": None, "fax": None}


def customers(g: Gen, first: int, count: int, *, full: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count`` customers numbered from ``first`` and their delivery locations: ``(customers, locations)``.

    ``full`` adds private and foreign customers, other statuses (Inactive, OnHold, ...), invoice/
    delivery addresses and extra locations.
    """
    r = g.r
    out, locs = [], []
    for i in range(count):
        number = str(first + i)
        if full and i % 9 == 4:
            name = f"{g.person()}"  # a private customer
            cls = "PARTICULIER"
        else:
            name = " ".join(p for p in (r.choice(KINDS), r.choice(NAMES), r.choice(LEGAL)) if p)
            cls = "ZAKELIJK" if i % 3 else "BINNENLAND"
        country = "NL"
        if full and i % 17 == 6:
            country = "BE"
        elif full and i % 29 == 11:
            country = r.choice(["SE", "DK", "NO", "FI"])
        if country != "NL":
            cls = "BUITENLAND"
        status = "Active"
        if full:
            if i % 23 == 7:
                status = "Inactive"
            elif i % 37 == 10:
                status = "OnHold"
            elif i % 101 == 50:
                status = "CreditHold"
            elif i == 77:
                status = "OneTime"
        main = g.address(country)
        created = g.stamp(datetime(2019, 1, 1), datetime(2025, 6, 1))
        modified = g.stamp(datetime.fromisoformat(created[:19]), BASE)
        cust: dict[str, Any] = {
            "internalId": 7000 + first % 1000 + i, "number": number, "name": name, "status": status,
            "mainAddress": main, "mainContact": g.contact(name),
            "customerClassId": cls, "customerClassDescription": dict(CLASSES)[cls],
            "creditTermsId": (t := r.choice(TERMS))[0], "creditTermsDescription": t[1], "currencyId": "EUR",
            "vatRegistrationId": (f"NL{r.randint(100000000, 999999999)}B01" if country == "NL" and cls != "PARTICULIER"
                                  else f"BE0{r.randint(100000000, 999999999)}" if country == "BE" else None),
            "corporateId": str(r.randint(10000000, 99999999)) if cls != "PARTICULIER" else None,
            "vatZoneId": "NL" if country == "NL" else "EU", "lastModifiedDateTime": modified,
            "createdDateTime": created,
        }
        if full and i % 5 == 2:
            cust["invoiceAddress"] = {**g.address("NL" if country == "NL" else country),
                                      "addressLine1": f"Postbus {r.randint(10, 9999)}"}
            cust["invoiceContact"] = {**g.contact(name), "attention": "Crediteurenadministratie"}
            cust["deliveryAddress"] = g.address(country)
            cust["deliveryContact"] = g.contact(name)
        out.append(cust)
        locs.append({"baccount": {"internalId": cust["internalId"], "number": number, "name": name},
                     "locationId": "MAIN", "locationName": "Hoofdlocatie", "active": True, "address": main,
                     "contact": cust["mainContact"], "vatRegistrationId": cust["vatRegistrationId"],
                     "lastModifiedDateTime": modified, "createdDateTime": created})
        if full and i % 8 == 3:
            for n in range(1, r.randint(2, 4)):
                loc_created = g.stamp(datetime.fromisoformat(created[:19]), BASE - timedelta(days=30))
                locs.append({"baccount": {"internalId": cust["internalId"], "number": number, "name": name},
                             "locationId": f"LOC{n:02d}",
                             "locationName": r.choice(["Vestiging", "Werkplaats", "Magazijn", "Filiaal"])
                             + f" {r.choice(NL_CITIES)[0]}",
                             "active": n != 3, "address": g.address(country),
                             "contact": g.contact(name), "vatRegistrationId": None,
                             "lastModifiedDateTime": g.stamp(datetime.fromisoformat(loc_created[:19]), BASE),
                             "createdDateTime": loc_created})
    return out, locs


NONSTOCK_TEMPLATES = [
    ("MAT", "NonStockItem", "MATERIAAL", "STK", [
        "Flexibele slang 1/2\" {n} cm", "Knelkoppeling {n} mm", "Kogelkraan {n} mm", "Radiatorkraan thermostatisch",
        "Inlaatcombinatie {n} mm", "Sifon {n} mm", "Afvoerbuis PVC {n} mm", "Stopcontact dubbel wit",
        "Installatiedraad {n} mm²", "Aardlekschakelaar {n} A", "Rookmelder", "Pakking set {n} mm"]),
    ("SRV", "ServiceItem", "SERVICE", "STK", [
        "Onderhoud CV-ketel", "Keuring gasinstallatie", "Storingsdienst weekend", "NEN 3140 inspectie",
        "Ontluchten installatie", "Legionellacontrole", "Rioolinspectie camera", "Jaarlijkse controle WTW"]),
    ("KST", "ChargeItem", "KOSTEN", "STK", [
        "Afvalverwerking", "Parkeerkosten", "Kilometervergoeding", "Klein materiaal", "Huur hoogwerker"]),
    ("DEC", "ExpenseItem", "DECLARATIE", "STK", ["Declaratie derden", "Leges vergunning"]),
]
STOCK_TEMPLATES = [("CV-ketel HR {n} kW", "FinishedGoodItem", "VOORRAAD"), ("Boiler {n} liter", "FinishedGoodItem", "VOORRAAD"),
                   ("Pomp circulatie type {n}", "ComponentPartItem", "ONDERDEEL"),
                   ("Expansievat {n} liter", "ComponentPartItem", "ONDERDEEL")]
ITEM_CLASSES = [("DIENST", "Diensten en arbeid", "LaborItem"), ("MATERIAAL", "Materiaal (niet op voorraad)", "NonStockItem"),
                ("SERVICE", "Servicecontracten en keuringen", "ServiceItem"), ("KOSTEN", "Doorbelaste kosten", "ChargeItem"),
                ("DECLARATIE", "Declaraties", "ExpenseItem"), ("VOORRAAD", "Voorraadartikelen", "FinishedGoodItem"),
                ("ONDERDEEL", "Onderdelen op voorraad", "ComponentPartItem")]


def item(g: Gen, number: str, description: str, type_: str, cls: str, unit: str, price: float,
         *, stock: bool = False, status: str = "Active") -> dict[str, Any]:
    """A compact ERP inventory item; ``price`` is the default price in EUR."""
    created = g.stamp(datetime(2020, 1, 1), datetime(2025, 1, 1))
    return {"inventoryId": None, "inventoryNumber": number, "status": status, "type": type_,
            "description": description, "itemClass": {"id": cls, "description": dict((c[0], c[1]) for c in ITEM_CLASSES)[cls],
                                                      "type": type_},
            "postingClass": None, "postingClassId": "OMZET" if not stock else "VOORRAAD",
            "vatCodeId": "H", "defaultPrice": price, "currentCost": round(price * 0.6, 2),
            "baseUnit": unit, "salesUnit": unit, "purchaseUnit": unit, "stockItem": stock,
            "defaultWarehouseId": "HOOFD" if stock else None,
            "stock": {"HOOFD": g.r.randint(0, 25), "BUS1": g.r.randint(0, 4)} if stock else None,
            "createdDateTime": created, "lastModifiedDateTime": g.stamp(datetime.fromisoformat(created[:19]), BASE)}


def demo_company(g: Gen) -> dict[str, Any]:
    """Seed of the large demo company (330 customers, items, warehouses, order types)."""
    r = g.r
    custs, locs = customers(g, 10001, 330, full=True)
    items = [item(g, demo.ITEM_WORK, "Arbeidsloon monteur", "LaborItem", "DIENST", "UUR", 62.5),
             item(g, demo.ITEM_TRAVEL, "Reistijd monteur", "LaborItem", "DIENST", "UUR", 48.0),
             item(g, demo.ITEM_CALLOUT, "Voorrijkosten", "ServiceItem", "SERVICE", "STK", 39.5),
             item(g, "ARBEID-SPOED", "Arbeidsloon spoed (avond/weekend)", "LaborItem", "DIENST", "UUR", 93.75),
             item(g, "ARBEID-LEERLING", "Arbeidsloon leerling-monteur", "LaborItem", "DIENST", "UUR", 41.0)]
    n = 0
    while len(items) < 150:
        prefix, type_, cls, unit, names = NONSTOCK_TEMPLATES[n % len(NONSTOCK_TEMPLATES)]
        name = names[(n // len(NONSTOCK_TEMPLATES)) % len(names)].format(n=r.choice([15, 22, 28, 35, 40, 50, 63]))
        status = "Inactive" if n % 31 == 13 else "NoSales" if n % 43 == 20 else "Active"
        items.append(item(g, f"{prefix}-{1001 + n}", name, type_, cls, unit, round(r.uniform(2.5, 450), 2),
                          status=status))
        n += 1
    for s in range(30):
        desc, type_, cls = STOCK_TEMPLATES[s % len(STOCK_TEMPLATES)]
        items.append(item(g, f"VRD-{2001 + s}", desc.format(n=r.choice([24, 28, 35, 80, 120, 150])), type_, cls, "STK",
                          round(r.uniform(85, 2400), 2), stock=True))
    for i, it in enumerate(items):
        it["inventoryId"] = 3301 + i
    warehouses = [{"warehouseID": w, "description": d, "active": True, "branch": {"number": "1", "name": "Hoofdvestiging"},
                   "address": g.address("NL")}
                  for w, d in (("HOOFD", "Hoofdmagazijn Utrecht"), ("BUS1", "Servicebus 1 (P. Jansen)"),
                               ("BUS2", "Servicebus 2 (S. de Groot)"))]
    active_customers = [c for c in custs if c["status"] == "Active"]
    nonstock_active = [it for it in items if not it["stockItem"] and it["status"] == "Active"]
    orders = []
    descriptions = ["Werkbon WB-2026-0{n} - CV-ketel onderhoud", "Werkbon WB-2026-0{n} - lekkage badkamer",
                    "werkbon WB-2026-0{n} storing groepenkast", "Vervangen boiler", "Renovatie keukenleiding",
                    "Jaarcontract onderhoud", "Aanleg buitenkraan", "Nieuwe radiatoren woonkamer",
                    "Spoedreparatie riolering", "Installatie warmtepomp"]
    for k in range(15):
        quote = k >= 10
        order_type = demo.ORDER_TYPE_QUOTE if quote else demo.ORDER_TYPE_SALES
        cust = active_customers[(k * 13) % len(active_customers)]
        desc = (f"Offerte {r.choice(['warmtepomp', 'zonneboiler', 'badkamerrenovatie', 'vloerverwarming', 'groepenkast'])}"
                if quote else descriptions[k].format(n=k + 140))
        lines = []
        for ln, it in enumerate([items[0], items[1], *r.sample(nonstock_active[5:], r.randint(0, 2))], start=1):
            qty = round(r.choice([0.5, 1, 1.5, 2, 3, 4]), 2) if it["baseUnit"] == "UUR" else float(r.randint(1, 6))
            lines.append({"lineId": ln, "sortOrder": ln, "inventoryId": it["inventoryNumber"],
                          "inventoryDescription": it["description"], "baseUnit": it["baseUnit"], "stockItem": False,
                          "description": it["description"], "quantity": qty, "unitOfMeasure": it["salesUnit"],
                          "unitPrice": it["defaultPrice"], "hasManualPrice": False, "unitCost": it["currentCost"],
                          "discountPercent": 0.0, "discountAmount": 0.0, "discountCode": None,
                          "hasManualDiscount": False, "warehouseId": r.choice(demo.WAREHOUSES),
                          "operation": "Issue", "shippingRule": "CancelRemainder", "requestDate": None,
                          "shipDate": None, "note": None, "completed": False})
        created = g.stamp(datetime(2026, 9, 1), datetime(2026, 10, 20))
        day = created[:10] + "T00:00:00"
        orders.append({
            "type": order_type, "orderId": f"{(201 + k - 10) if quote else (101 + k):06d}",
            "status": "Open" if quote or k % 4 else "Hold", "date": day, "requestOn": day, "cancelBy": None,
            "customer": {"id": cust["number"], "internalId": cust["internalId"], "name": cust["name"],
                         "status": "Active", "countryId": cust["mainAddress"]["countryId"], "locationId": "MAIN",
                         "contactId": None, "order": f"PO-{r.randint(10000, 99999)}" if k % 3 == 0 else None,
                         "refNo": cust["mainContact"]["attention"], "termsId": cust["creditTermsId"]},
            "description": desc, "note": None, "currencyId": "EUR", "branchId": "1", "createdBy": "office",
            "shipping": {"preferredWarehouseId": "HOOFD"}, "lines": lines, "nextLineId": len(lines) + 1,
            "created": created, "lastModified": g.stamp(datetime.fromisoformat(created[:19]), BASE),
        })
    return {
        "tenantId": demo.DEMO_TENANT_ID, "companyNumber": demo.DEMO_COMPANY_NUMBER, "name": demo.DEMO_COMPANY_NAME,
        "organization": {"organizationCd": "DEMO", "name": demo.DEMO_COMPANY_NAME, "organizationType": "WithoutBranches",
                         "baseCurrency": "EUR", "mainAddress": {"addressLine1": "Stationsweg 12", "postalCode": "3511 AB",
                                                                "city": "Utrecht", "country": {"id": "NL", "name": "Netherlands"}},
                         "corporateId": "30123456", "vatRegistrationId": "NL001234567B01",
                         "lastModifiedDateTime": "2026-01-05T09:00:00.000", "timeStamp": "AAAAAAAAD6E="},
        "branches": [{"branchId": 1, "number": "1", "name": "Hoofdvestiging", "organizationId": 1, "isMainBranch": True,
                      "isActive": True, "lastModifiedDateTime": "2026-01-05T09:00:00.000",
                      "corporateId": "30123456", "vatRegistrationId": "NL001234567B01"}],
        "records": {
            "customerClass": [{"id": c, "description": d, "taxZoneId": "NL", "requiredTaxzoneId": False,
                               "paymentMethodId": "OVERBOEK"} for c, d in CLASSES],
            "customer": custs, "location": locs,
            "itemClass": [{"id": c, "description": d, "type": t} for c, d, t in ITEM_CLASSES],
            "postingClass": [{"id": "OMZET", "description": "Omzet diensten en materiaal"},
                             {"id": "VOORRAAD", "description": "Voorraad"}],
            "inventory": items, "warehouse": warehouses,
            "salesOrderType": [
                {"orderType": "SO", "active": True, "description": "Verkooporder", "behavior": "SalesOrder",
                 "defaultOperation": "Issue", "customerDocumentType": "Invoice", "lastModifiedDateTime": "2025-01-01T00:00:00.000"},
                {"orderType": "QT", "active": True, "description": "Offerte", "behavior": "Quote",
                 "defaultOperation": "Issue", "customerDocumentType": "NoUpdate", "lastModifiedDateTime": "2025-01-01T00:00:00.000"},
                {"orderType": "IN", "active": True, "description": "Factuur", "behavior": "Invoice",
                 "defaultOperation": "Issue", "customerDocumentType": "Invoice", "lastModifiedDateTime": "2025-01-01T00:00:00.000"},
                {"orderType": "CR", "active": False, "description": "Creditorder (niet in gebruik)", "behavior": "CreditMemo",
                 "defaultOperation": "Receipt", "customerDocumentType": "CreditMemo", "lastModifiedDateTime": "2025-01-01T00:00:00.000"}],
            "salesOrder": orders,
        },
        "counters": {"salesorder:SO": 110, "salesorder:QT": 205, "invoice": 100000},
    }


def small_company(g: Gen) -> dict[str, Any]:
    """Seed of the small demo company (6 customers, 5 items, one warehouse)."""
    custs, locs = customers(g, 20001, 6, full=False)
    custs[5]["status"] = "Inactive"
    items = [item(g, demo.ITEM_WORK, "Klusuur", "LaborItem", "DIENST", "UUR", 45.0),
             item(g, demo.ITEM_TRAVEL, "Reistijd", "LaborItem", "DIENST", "UUR", 35.0),
             item(g, demo.ITEM_CALLOUT, "Voorrijden", "ServiceItem", "SERVICE", "STK", 25.0),
             item(g, "KLEIN-MAT", "Klein materiaal", "NonStockItem", "MATERIAAL", "STK", 7.5),
             item(g, "SCHILDERWERK", "Schilderwerk per m²", "ServiceItem", "SERVICE", "STK", 18.0)]
    for i, it in enumerate(items):
        it["inventoryId"] = 501 + i
    return {
        "tenantId": demo.SMALL_TENANT_ID, "companyNumber": demo.SMALL_COMPANY_NUMBER, "name": demo.SMALL_COMPANY_NAME,
        "organization": {"organizationCd": "KLEIN", "name": demo.SMALL_COMPANY_NAME, "organizationType": "WithoutBranches",
                         "baseCurrency": "EUR", "mainAddress": {"addressLine1": "Dorpsstraat 3", "postalCode": "3732 HJ",
                                                                "city": "De Bilt", "country": {"id": "NL", "name": "Netherlands"}},
                         "corporateId": "30999888", "vatRegistrationId": "NL009998887B01",
                         "lastModifiedDateTime": "2026-02-01T09:00:00.000", "timeStamp": "AAAAAAAAD6F="},
        "branches": [{"branchId": 1, "number": "1", "name": "Kleine Klusjes", "organizationId": 1, "isMainBranch": True,
                      "isActive": True, "lastModifiedDateTime": "2026-02-01T09:00:00.000"}],
        "records": {
            "customerClass": [{"id": "PARTICULIER", "description": "Particulieren"}],
            "customer": custs, "location": locs,
            "itemClass": [{"id": c, "description": d, "type": t} for c, d, t in ITEM_CLASSES[:3]],
            "inventory": items,
            "warehouse": [{"warehouseID": demo.SMALL_WAREHOUSE, "description": "Schuur", "active": True,
                           "branch": {"number": "1", "name": "Kleine Klusjes"}, "address": g.address("NL")}],
            "salesOrderType": [
                {"orderType": "SO", "active": True, "description": "Verkooporder", "behavior": "SalesOrder"},
                {"orderType": "QT", "active": True, "description": "Offerte", "behavior": "Quote"}],
        },
        "counters": {"salesorder:SO": 0, "salesorder:QT": 0, "invoice": 500000},
    }


def build() -> dict[str, Any]:
    """The complete demo seed: applications, users and both companies (fixed random seed)."""
    g = Gen(20261129)
    return {
        "applications": [{
            "clientId": demo.CLIENT_ID, "clientSecret": demo.CLIENT_SECRET, "name": "Werkbon (demo)",
            "redirectUris": [], "allowLoopbackRedirects": True, "requirePkce": True,
            "grantTypes": ["authorization_code", "refresh_token", "client_credentials"],
            "tenants": [demo.DEMO_TENANT_ID, demo.SMALL_TENANT_ID]}],
        "users": [{"username": demo.DEMO_USER, "name": "Demo Gebruiker",
                   "tenants": [demo.DEMO_TENANT_ID, demo.SMALL_TENANT_ID]}],
        "companies": [demo_company(g), small_company(g)],
    }


def render() -> str:
    """The demo seed as indented JSON text (the contents of the demo data file)."""
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), "utf-8")
