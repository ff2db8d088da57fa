"""Paging 10,000 customers through the client against the spawned sandbox.

What the client guarantees (``vismanet._paging.paginate_erp``): it asks for ``pageNumber``
1, 2, … with the same filter and stops on an empty page, once ``metadata.totalCount`` records
arrived (the count of the *latest* page), or on a short page. The sandbox, like Visma.net's
ERP lists, orders by internal id, so customers created while paging are appended after the
existing ones and never shift them. Hence: every customer that existed when paging started is
returned exactly once, and a customer created during paging is returned at most once (it is
returned when it was created before the last page was fetched). Deleting records during
offset paging would shift later records forward; Werkbon never pages while deleting, and
detects deletions by a full re-read.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.contract.conftest import Backend, sandbox_only
from vismanet_sandbox import demo

TENANT = demo.DEMO_TENANT_ID
PAGE_SIZE = 500

pytestmark = sandbox_only


def customers(first: int, count: int) -> list[dict[str, Any]]:
    """Stored-customer shapes for the control API (numbers ``first`` … ``first+count-1``)."""
    return [
        {
            "number": str(number),
            "name": f"Klant {number} Installatie B.V.",
            "status": "Active",
            "mainAddress": {"addressLine1": f"Dorpsstraat {number % 300 + 1}", "postalCode": "3511 AB",
                            "city": "Utrecht", "countryId": "NL"},
            "mainContact": {"name": "J. de Vries", "email": f"info{number}@example.nl"},
            "currencyId": "EUR",
        }
        for number in range(first, first + count)
    ]


@pytest.fixture
def ten_thousand(backend: Backend) -> set[str]:
    """The demo company with exactly 10,000 customers (``500000``…``509999``)."""
    control = backend.sandbox.control
    control.reset("empty")
    batch = customers(500000, 10_000)
    assert control.add_customers(TENANT, batch) == 10_000
    return {c["number"] for c in batch}


def test_it_fetches_each_of_10000_customers_exactly_once(backend: Backend, ten_thousand: set[str]):
    client = backend.client()
    pages = list(client.customers.list(page_size=PAGE_SIZE).pages())

    counts = Counter(c.number for page in pages for c in page.items)
    assert len(pages) == 10_000 // PAGE_SIZE
    assert set(counts) == ten_thousand
    assert max(counts.values()) == 1
    requests = backend.sandbox.control.request_count(method="GET", path="^/v1/customer$")
    assert requests == 10_000 // PAGE_SIZE  # no extra probe page: totalCount said when to stop


def test_it_sees_every_existing_customer_once_while_customers_are_added_during_paging(
    backend: Backend, ten_thousand: set[str]
):
    client = backend.client()
    control = backend.sandbox.control
    added: list[str] = []
    counts: Counter[str] = Counter()
    for page in client.customers.list(page_size=PAGE_SIZE).pages():
        counts.update(c.number for c in page.items)
        # An office user in Visma.net creates customers between our page requests.
        batch = customers(600000 + len(added), 37)
        control.add_customers(TENANT, batch)
        added += [c["number"] for c in batch]

    assert max(counts.values()) == 1, "a record came twice"
    assert ten_thousand <= set(counts), f"missing: {sorted(ten_thousand - set(counts))[:5]}"
    extra = set(counts) - ten_thousand
    assert extra <= set(added)
    # Appended records are read too, up to the last page fetched: all but the final batch.
    assert extra == set(added[:-37])


def test_it_stops_paging_when_the_server_clamps_the_page_size(backend: Backend):
    control = backend.sandbox.control
    control.reset("empty")
    control.add_customers(TENANT, customers(500000, 1_000))
    control.settings(TENANT, maxPageSize=300)
    client = backend.client()

    numbers = [c.number for c in client.customers.list(page_size=1000)]

    assert len(numbers) == 1_000 and set(numbers) == {str(n) for n in range(500000, 501000)}
    assert control.request_count(method="GET", path="^/v1/customer$") == 4  # 300+300+300+100
