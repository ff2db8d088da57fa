"""The store's paged read (issue 14): a window reads only its page, in the same order and
with the same filters as the full list."""

from __future__ import annotations

from vismanet_sandbox.store import Store


def _store() -> Store:
    store = Store()
    for n in range(250):
        # Modified times not in internal-id order, so a filter leaves gaps.
        store.put("c1", "location", f"{n:04d}/MAIN", {"n": n},
                  modified=f"2025-01-01T00:{(n * 7) % 60:02d}:00.000")
    store.put("c2", "location", "0001/MAIN", {"n": -1})
    return store


def test_window_is_the_slice_of_the_full_list() -> None:
    store = _store()
    full = [r.key for r in store.list("c1", "location")]
    for offset, limit in ((0, 100), (100, 100), (200, 100), (240, 5), (300, 10)):
        page = [r.key for r in store.list("c1", "location", window=(offset, limit))]
        assert page == full[offset:offset + limit]


def test_window_with_a_date_filter_and_company() -> None:
    store = _store()
    cond = (">=", "2025-01-01T00:30:00.000")
    full = [r.key for r in store.list("c1", "location", modified=cond)]
    assert 0 < len(full) < 250
    assert store.count("c1", "location", modified=cond) == len(full)
    for offset in (0, 20, 100):
        page = [r.key for r in store.list("c1", "location", modified=cond, window=(offset, 20))]
        assert page == full[offset:offset + 20]
    assert [r.data for r in store.list("c2", "location", window=(0, 10))] == [{"n": -1}]


def test_location_list_without_filters_is_paged_in_the_store(monkeypatch) -> None:
    """GET /v1/location without locationId/gln has no predicate, so erp_list takes the
    window path instead of reading every location of the company."""
    from vismanet_sandbox.resources import locations

    class Q(dict):
        pass

    class Req:
        query_params = Q()

    class FakeCall:
        request = Req()

    assert locations._query_filter(FakeCall()) is None
    FakeCall.request.query_params = Q(gln="123")
    assert locations._query_filter(FakeCall()) is not None
