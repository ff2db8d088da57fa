"""The first import runs with fewer garbage collections (issue 14) and puts the collector
back as it was afterwards, also when nested or when the import fails."""

from __future__ import annotations

import gc
import importlib

import pytest

fi = importlib.import_module("werkbon.integrations.vismanet.sync.first_import")


def test_threshold_raised_inside_and_restored_after_nesting_and_errors() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with fi.fewer_collections():
        assert gc.get_threshold()[0] == max(fi.GC_GEN0_THRESHOLD, before[0])
        assert gc.get_freeze_count() > frozen_before
        with fi.fewer_collections():
            pass
        assert gc.get_threshold()[0] == max(fi.GC_GEN0_THRESHOLD, before[0])  # outer still on
        with pytest.raises(RuntimeError), fi.fewer_collections():
            raise RuntimeError("page failed")
        assert gc.get_threshold()[0] == max(fi.GC_GEN0_THRESHOLD, before[0])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


def test_page_done_collects_cycles_only_inside(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(fi.gc, "collect", lambda *a: calls.append(a) or 0)
    fi.page_done()
    assert calls == []
    with fi.fewer_collections():
        fi.page_done()
    assert calls == [()]
