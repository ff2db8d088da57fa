from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vismanet import PaginationError
from vismanet._time import parse_http_date

from .conftest import FakeVisma


def erp_server(total: int, *, clamp: int | None, metadata: bool, total_in_metadata: bool = True):
    """An ERP list endpoint over records 0..total-1 that clamps pageSize like Visma does."""

    def reply(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["pageNumber"])
        size = int(request.url.params["pageSize"])
        effective = min(size, clamp) if clamp else size
        rows = []
        for i in range((number - 1) * effective, min(number * effective, total)):
            row: dict = {"number": str(i)}
            if metadata:
                row["metadata"] = {"maxPageSize": clamp or 10_000}
                if total_in_metadata:
                    row["metadata"]["totalCount"] = total
            rows.append(row)
        return httpx.Response(200, json=rows)

    return reply


def page_numbers(fake: FakeVisma) -> list[int]:
    return [int(r.url.params["pageNumber"]) for r in fake.calls("GET", "/v1/customer")]


def test_it_stops_at_total_count_on_an_exact_multiple(fake, make_client):
    fake.on("GET", "/v1/customer", erp_server(4, clamp=None, metadata=True))
    numbers = [c.number for c in make_client().customers.list(page_size=2)]
    assert numbers == ["0", "1", "2", "3"]
    assert page_numbers(fake) == [1, 2]


def test_it_stops_on_a_short_page_after_full_pages_without_metadata(fake, make_client):
    fake.on("GET", "/v1/customer", erp_server(5, clamp=None, metadata=False))
    numbers = [c.number for c in make_client().customers.list(page_size=2)]
    assert numbers == ["0", "1", "2", "3", "4"]
    assert page_numbers(fake) == [1, 2, 3]


def test_it_stops_on_an_empty_last_page_without_metadata(fake, make_client):
    fake.on("GET", "/v1/customer", erp_server(4, clamp=None, metadata=False))
    assert len(list(make_client().customers.list(page_size=2))) == 4
    assert page_numbers(fake) == [1, 2, 3]


def test_it_detects_a_clamped_page_size_without_metadata(fake, make_client):
    fake.on("GET", "/v1/customer", erp_server(7, clamp=3, metadata=False))
    numbers = [c.number for c in make_client().customers.list(page_size=10)]
    assert numbers == [str(i) for i in range(7)]
    assert page_numbers(fake) == [1, 2, 3]


def test_it_uses_max_page_size_from_metadata(fake, make_client):
    fake.on("GET", "/v1/customer", erp_server(7, clamp=3, metadata=True, total_in_metadata=False))
    assert len(list(make_client().customers.list(page_size=10))) == 7
    assert page_numbers(fake) == [1, 2, 3]


def test_it_raises_when_the_server_repeats_a_page(fake, make_client):
    fake.on("GET", "/v1/customer", httpx.Response(200, json=[{"number": "1"}, {"number": "2"}]))
    with pytest.raises(PaginationError, match="identical"):
        list(make_client().customers.list(page_size=2))
    assert page_numbers(fake) == [1, 2]


def test_it_exposes_page_boundaries(fake, make_client):
    fake.on("GET", "/v1/customer", erp_server(3, clamp=None, metadata=True))
    pages = list(make_client().customers.list(page_size=2).pages())
    assert [(p.number, p.total_count, len(p.items)) for p in pages] == [(1, 3, 2), (2, 3, 1)]


def v3_page(values: list[dict], total: int | None, next_page: str | None) -> httpx.Response:
    return httpx.Response(200, json={"value": values, "totalCount": total, "nextPage": next_page})


def test_it_follows_v3_next_page_until_it_is_null(fake, make_client):
    fake.on(
        "GET",
        "/api/v3/SalesOrders/SO",
        v3_page([{"orderId": "1"}, {"orderId": "2"}], 5, "https://x/next"),
        v3_page([{"orderId": "3"}, {"orderId": "4"}], 5, "https://x/next"),
        v3_page([{"orderId": "5"}], 5, None),
    )
    orders = list(make_client().sales_orders.list(order_type="SO", page_size=2))
    assert [o.order_id for o in orders] == ["1", "2", "3", "4", "5"]
    indexes = [r.url.params["pageIndex"] for r in fake.calls("GET", "/api/v3/SalesOrders/SO")]
    assert indexes == ["0", "1", "2"]


def test_it_starts_a_v3_list_at_the_given_page(fake, make_client):
    """start_page is 1-based like the ERP lists' (the order import reads one page per request)."""
    fake.on("GET", "/api/v3/SalesOrders/SO", v3_page([{"orderId": "5"}], 5, None))
    orders = list(make_client().sales_orders.list(order_type="SO", page_size=2, start_page=3))
    assert [o.order_id for o in orders] == ["5"]
    assert [r.url.params["pageIndex"] for r in fake.calls("GET", "/api/v3/SalesOrders/SO")] == ["2"]
    with pytest.raises(ValueError, match="1-based"):
        make_client().sales_orders.list(order_type="SO", start_page=0)


def test_it_stops_v3_paging_on_a_short_page_when_next_page_is_absent(fake, make_client):
    fake.on(
        "GET",
        "/api/v3/SalesOrders",
        httpx.Response(200, json={"value": [{"orderId": "1"}, {"orderId": "2"}]}),
        httpx.Response(200, json={"value": [{"orderId": "3"}]}),
    )
    assert len(list(make_client().sales_orders.list(page_size=2))) == 3
    assert len(fake.calls("GET", "/api/v3/SalesOrders")) == 2


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    total=st.integers(0, 40),
    page_size=st.integers(1, 12),
    clamp=st.none() | st.integers(1, 12),
    metadata=st.booleans(),
    total_in_metadata=st.booleans(),
)
def test_it_yields_every_record_exactly_once_however_the_server_pages(
    make_client, total, page_size, clamp, metadata, total_in_metadata
):
    fake = FakeVisma()
    fake.on(
        "GET",
        "/v1/customer",
        erp_server(total, clamp=clamp, metadata=metadata, total_in_metadata=total_in_metadata),
    )
    client = make_client(http_client=httpx.Client(transport=httpx.MockTransport(fake.handler)))
    numbers = [c.number for c in client.customers.list(page_size=page_size)]
    assert numbers == [str(i) for i in range(total)]
    effective = min(page_size, clamp) if clamp else page_size
    # At most one request beyond the pages holding data (an empty or probing page), plus one
    # to discover a clamp without metadata.
    assert len(page_numbers(fake)) <= -(-total // effective) + 2


@pytest.mark.parametrize(("metadata", "clamp"), [(True, None), (True, 3), (False, None), (False, 3)])
def test_it_starts_at_the_given_page_and_still_stops_at_the_end(fake, make_client, metadata, clamp):
    fake.on("GET", "/v1/customer", erp_server(10, clamp=clamp, metadata=metadata))
    size = min(4, clamp) if clamp else 4
    numbers = [c.number for c in make_client().customers.list(page_size=4, start_page=2)]
    assert numbers == [str(i) for i in range(size, 10)]
    assert page_numbers(fake)[0] == 2
    assert len(page_numbers(fake)) <= -(-(10 - size) // size) + 2


def test_it_resumes_each_erp_list_the_sync_reads_at_the_given_page(fake, make_client):
    client = make_client()
    lists = {
        "/v1/customer": client.customers.list,
        "/v1/location": client.customer_locations.list,
        "/v1/inventory": client.inventory.list,
        "/v1/inventory/itemClass": client.item_classes.list,
    }
    for path, method in lists.items():
        fake.on("GET", path, erp_server(5, clamp=None, metadata=True))
        pages = list(method(page_size=2, start_page=3).pages())
        assert [(p.number, len(p.items)) for p in pages] == [(3, 1)]
        assert [r.url.params["pageNumber"] for r in fake.calls("GET", path)] == ["3"]
    with pytest.raises(ValueError, match="1-based"):
        client.customers.list(start_page=0)


def test_it_gives_each_page_the_servers_time_from_the_date_header(fake, make_client):
    with_date = httpx.Response(200, json=[{"number": "1", "metadata": {"totalCount": 2}}],
                               headers={"Date": "Thu, 15 Jan 2026 09:00:07 GMT"})
    without_date = httpx.Response(200, json=[{"number": "2", "metadata": {"totalCount": 2}}])
    fake.on("GET", "/v1/customer", with_date, without_date)
    pages = list(make_client().customers.list(page_size=1).pages())
    assert pages[0].server_time == datetime(2026, 1, 15, 9, 0, 7, tzinfo=UTC)
    assert pages[0].server_time.tzinfo is UTC
    assert pages[1].server_time is None  # no header: unknown, never our clock
    fake.on("GET", "/api/v3/SalesOrders", httpx.Response(
        200, json={"value": [{"orderId": "1"}], "nextPage": None}, headers={"Date": "Thu, 15 Jan 2026 10:00:00 GMT"}))
    page = next(make_client().sales_orders.list().pages())
    assert page.server_time == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "yesterday", "Thu, 99 Jan 2026 09:00:00 GMT"])
def test_it_reads_no_server_time_from_a_missing_or_unreadable_date_header(value):
    assert parse_http_date(value) is None


def test_a_page_validated_from_the_raw_body_equals_one_validated_record_by_record(fake, make_client):
    """The list reads a JSON array page with one pydantic ``validate_json`` (issue 14); the
    records are the same models, extra fields and timestamps included."""
    from vismanet import Customer

    rows = [{"number": str(i), "name": f"Klant {i}", "mainAddress": {"city": "Utrecht", "country": {"id": "NL"}},
             "lastModifiedDateTime": "2025-06-01T08:00:00.000", "somethingNew": [i],
             "metadata": {"totalCount": 3, "maxPageSize": 1000}} for i in range(3)]
    fake.on("GET", "/v1/customer", lambda request: httpx.Response(200, json=rows))
    listed = list(make_client().customers.list(page_size=1000))
    assert listed == [Customer.model_validate(row) for row in rows]
    assert listed[0].last_modified_date_time == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert listed[2].model_extra == {"somethingNew": [2]}
    assert page_numbers(fake) == [1]  # totalCount read from the parsed metadata


def test_an_invalid_record_still_raises_the_validation_error(fake, make_client):
    from pydantic import ValidationError

    fake.on("GET", "/v1/customer", lambda request: httpx.Response(200, json=[{"number": {"not": "text"}}]))
    with pytest.raises(ValidationError):
        list(make_client().customers.list(page_size=10))


def test_a_records_wrapper_body_is_still_read(fake, make_client):
    fake.on("GET", "/v1/customer", lambda request: httpx.Response(
        200, json={"records": [{"number": "7"}], "totalCount": 1}))
    assert [c.number for c in make_client().customers.list(page_size=10)] == ["7"]
