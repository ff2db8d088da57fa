"""The office's work-order list with many rows (issue 14): counted up to COUNT_LIMIT rows (a
COUNT over a LIMIT subquery, not over 50,000 rows), then "Pagina 3 van meer dan 40" with
pages that go on while there are rows; one row per order without DISTINCT."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from werkbon.accounts.tenancy import tenant_context
from werkbon.workorders import services
from werkbon.workorders.models import Customer, Item, WorkOrder
from werkbon.workorders.views import common
from werkbon.workorders.views.common import BoundedPaginator

pytestmark = pytest.mark.django_db
NL = {"Accept-Language": "nl"}


@pytest.fixture
def twelve_orders(tenant_a):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="K1", name="Klant")
        return [services.create_work_order(customer=customer, work_address=None, description=f"Werk {n}")
                for n in range(12)]


def numbers(page: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'data-testid="order-row-(\d+)"', page)]


def test_the_paginator_counts_at_most_its_limit_and_pages_on_beyond_it(tenant_a, twelve_orders):
    with tenant_context(tenant_a):
        orders = WorkOrder.objects.order_by("-number")
        paginator = BoundedPaginator(orders, 3, limit=5)
        assert paginator.count == 6 and paginator.more  # limit + 1: "more than 5"
        assert paginator.num_pages == 1  # 5 // 3 pages surely there
        first = paginator.get_page(1)
        assert [o.number for o in first] == [12, 11, 10] and first.has_next() and not first.has_previous()
        last = paginator.get_page(4)
        assert [o.number for o in last] == [3, 2, 1] and not last.has_next() and last.has_previous()
        assert (last.start_index(), last.end_index()) == (10, 12)
        assert [o.number for o in paginator.get_page(5)] == [12, 11, 10]  # beyond the rows: the first
        assert [o.number for o in paginator.get_page("x")] == [12, 11, 10]
        assert [o.number for o in paginator.get_page(10**30)] == [12, 11, 10]

        exact = BoundedPaginator(orders, 5, limit=12)
        assert (exact.count, exact.more, exact.num_pages) == (12, False, 3)  # Django's own paging
        assert [o.number for o in exact.get_page(9)] == [2, 1]  # beyond: the last page, as before


def test_the_list_says_more_than_and_pages_through_every_order(client, office_a, twelve_orders, monkeypatch):
    monkeypatch.setattr(common, "PAGE_SIZE", 5)
    monkeypatch.setattr(common, "COUNT_LIMIT", 10)
    client.force_login(office_a)
    page = client.get("/werkorders/", headers=NL).content.decode()
    assert numbers(page) == [12, 11, 10, 9, 8]
    assert "Pagina 1 van meer dan 2" in page and 'data-testid="next-page"' in page
    page = client.get("/werkorders/?page=3", headers=NL).content.decode()
    assert numbers(page) == [2, 1]  # past the counted 10: still reachable
    assert "Pagina 3 van meer dan 2" in page and 'data-testid="next-page"' not in page
    assert 'href="?page=2"' in page
    page = client.get("/werkorders/?page=4", headers=NL).content.decode()
    assert numbers(page) == [12, 11, 10, 9, 8]


def test_the_list_counts_its_rows_exactly_up_to_the_limit(client, office_a, twelve_orders, monkeypatch):
    monkeypatch.setattr(common, "PAGE_SIZE", 5)
    client.force_login(office_a)
    page = client.get("/werkorders/?page=3", headers=NL).content.decode()
    assert numbers(page) == [2, 1] and "Pagina 3 van 3" in page and "meer dan" not in page


def test_the_list_counts_with_a_bounded_query_and_no_distinct(client, office_a, twelve_orders):
    client.force_login(office_a)
    client.get("/werkorders/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/werkorders/?status=open")
    orders = [q["sql"] for q in captured if "workorders_workorder" in q["sql"].split(" WHERE ")[0]]
    [count] = [sql for sql in orders if "COUNT(" in sql]
    assert f"LIMIT {common.COUNT_LIMIT + 1}" in count
    assert not any("DISTINCT" in sql for sql in orders)


def test_a_search_that_matches_several_material_lines_lists_the_order_once(client, office_a, tenant_a, tech_a):
    with tenant_context(tenant_a):
        customer = Customer.objects.create(number="K1", name="Klant")
        item = Item.objects.create(number="EXP18", description="Expansievat 18 l", unit="STK")
        order = services.create_work_order(customer=customer, work_address=None, description="Werk")
        services.create_work_order(customer=customer, work_address=None, description="Ander werk")
        for _ in range(3):
            services.add_material_line(order, item=item, quantity=Decimal("1"), technician=tech_a)
    client.force_login(office_a)
    assert numbers(client.get("/werkorders/?q=expansievat").content.decode()) == [order.number]
    assert numbers(client.get("/werkorders/?q=EXP18").content.decode()) == [order.number]


def test_the_customer_filter_offers_the_first_customers_and_the_chosen_one(client, office_a, tenant_a, monkeypatch):
    import re

    from werkbon.workorders import forms

    monkeypatch.setattr(forms, "CUSTOMER_OPTIONS_SHOWN", 2)
    with tenant_context(tenant_a):
        customers = [Customer.objects.create(number=f"K{n}", name=f"Klant {n}") for n in range(4)]
        order = services.create_work_order(customer=customers[3], work_address=None, description="Werk")
        services.create_work_order(customer=customers[0], work_address=None, description="Ander werk")
    client.force_login(office_a)

    def options(page: str) -> list[str]:
        select = page[page.index('<select name="customer"'):]
        return re.findall(r'<option value="(\d*)"( selected)?>', select[: select.index("</select>")])

    page = client.get("/werkorders/", headers=NL).content.decode()
    assert options(page) == [("", " selected"), (str(customers[0].pk), ""), (str(customers[1].pk), "")]
    page = client.get(f"/werkorders/?customer={customers[3].pk}", headers=NL).content.decode()
    assert options(page)[-1] == (str(customers[3].pk), " selected")  # beyond the first 2, still chosen
    assert numbers(page) == [order.number]
