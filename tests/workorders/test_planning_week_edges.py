"""The planning board reads the orders of the week and the earlier ones that still run into
it; on PostgreSQL the database leaves out the earlier ones that end before the week (issue
14: half the rows of a busy board), on SQLite the board skips them. Run on both:
``DATABASE_URL=postgres://... pytest tests/workorders/test_planning_week_edges.py``."""

from __future__ import annotations

import pytest

from tests.workorders.conftest import local
from werkbon.workorders import services

pytestmark = pytest.mark.django_db
MONDAY = "2026-03-09"


def test_an_earlier_order_shows_on_the_days_it_runs_into_and_one_that_ended_does_not(
        office_client, customer, tech_a):
    into = services.create_work_order(customer=customer, technicians=[tech_a],
                                      planned_start=local(2026, 3, 8, 23, 0), planned_minutes=120)
    ended = services.create_work_order(customer=customer, technicians=[tech_a],
                                       planned_start=local(2026, 3, 8, 23, 0), planned_minutes=60)
    long = services.create_work_order(customer=customer, technicians=[tech_a],
                                      planned_start=local(2026, 3, 3, 8, 0), planned_minutes=7 * 24 * 60)
    page = office_client.get(f"/werkorders/planning/?week={MONDAY}")
    cards = {(c.order.number, cell.day.isoformat()) for row in page.context["rows"] for cell in row["cells"]
             for c in cell.cards}
    assert (into.number, MONDAY) in cards  # 23:00 Sunday to 01:00 Monday
    assert (long.number, "2026-03-10") in cards  # a week long, from the Tuesday before
    assert not any(number == ended.number for number, _day in cards)  # ended at midnight
    html = page.content.decode()
    assert f'data-testid="job-{into.number}-{MONDAY}"' in html and f"job-{ended.number}" not in html
