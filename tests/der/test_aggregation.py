"""Merit-order aggregated curves: conservation (hypothesis), ordering, ties, interface mapping."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.der.aggregation import curve_totals, interface_of_feeders, merit_order_curves
from tdcoord.der.errors import DerError
from tdcoord.grid.coupling import attach_feeders
from tdcoord.grid.model import GridModel
from tdcoord.market.offers import OfferBook


@pytest.fixture(scope="module")
def coupled(case5: GridModel, case33bw: GridModel) -> GridModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return attach_feeders(case5, list(case33bw.feeders), None, feeders_per_bus=2)


def _book(draw: st.DrawFn, n_feeder: int = 3) -> OfferBook:
    n = draw(st.integers(1, 12))
    t = draw(st.integers(1, 3))
    prices = st.sampled_from([-20.0, 0.0, 10.0, 10.0, 35.5, 80.0])
    qty = st.sampled_from([0.0, 0.1, 0.25, 1.0, 2.5])
    q = np.array(draw(st.lists(qty, min_size=n * t, max_size=n * t))).reshape(n, t)
    p = np.array(draw(st.lists(prices, min_size=n * t, max_size=n * t))).reshape(n, t)
    feeder = np.array(draw(st.lists(st.integers(-1, n_feeder - 1), min_size=n, max_size=n)))
    node = np.array(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    d = np.array(draw(st.lists(st.sampled_from([-1, 1]), min_size=n, max_size=n)))
    r = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    ids = tuple(f"o{i}" for i in range(n))
    return OfferBook(
        ids, ids, ("a",) * n, ("congestion_dso",) * n, ("pv",) * n, d, feeder, node, r, q, p
    )


def _independent_totals(book: OfferBook, keys: list[np.ndarray]) -> pd.Series:
    k, t = book.quantity_mw.shape
    frame = pd.DataFrame({f"k{i}": np.repeat(v, t) for i, v in enumerate(keys)})
    frame["interval"] = np.tile(np.arange(t), k)
    frame["direction"] = np.repeat(book.direction, t)
    frame["reactive"] = np.repeat(book.reactive, t)
    frame["q"] = book.quantity_mw.ravel()
    frame = frame[frame["q"] > 0]
    return frame.groupby(
        [*(f"k{i}" for i in range(len(keys))), "interval", "direction", "reactive"]
    )["q"].sum()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_node_and_feeder_curves_conserve_and_sort(data: st.DataObject) -> None:
    book = _book(data.draw)
    for level, keys, mask in (
        ("node", [book.feeder, book.node], np.ones(book.n_offers, dtype=bool)),
        ("feeder", [book.feeder], book.feeder >= 0),
    ):
        curves = merit_order_curves(book, level)  # type: ignore[arg-type]
        want = _independent_totals(book.take(mask), [k[mask] for k in keys])
        got = curve_totals(curves, level)  # type: ignore[arg-type]
        np.testing.assert_allclose(np.sort(got["cumulative_mw"]), np.sort(want.to_numpy()))
        assert curves["quantity_mw"].sum() == pytest.approx(want.sum())
        group = [*curves.columns[: len(keys)], "interval", "direction", "reactive"]
        for _, c in curves.groupby(group):
            assert (np.diff(c["price_eur_per_mwh"]) >= 0).all()
            ties = np.diff(c["price_eur_per_mwh"]) == 0
            assert (np.diff(c["offer_row"])[ties] > 0).all()  # ties by row order
            np.testing.assert_allclose(c["cumulative_mw"], np.cumsum(c["quantity_mw"]))
            assert c["rank"].tolist() == list(range(len(c)))


def test_hand_curve() -> None:
    q = np.array([[1.0], [2.0], [0.5], [0.0]])
    p = np.array([[30.0], [10.0], [30.0], [5.0]])
    ids = ("a", "b", "c", "d")
    book = OfferBook(
        ids,
        ids,
        ids,
        ("x",) * 4,
        ("pv",) * 4,
        [1, 1, 1, 1],
        [0, 0, 0, 0],
        [1, 2, 1, 1],
        [False] * 4,
        q,
        p,
    )
    c = merit_order_curves(book, "feeder")
    assert c["offer_id"].tolist() == ["b", "a", "c"]  # d has no quantity; a before c (tie)
    assert c["cumulative_mw"].tolist() == [2.0, 3.0, 3.5]


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_interface_curves_map_feeders_to_buses(coupled: GridModel, data: st.DataObject) -> None:
    book = _book(data.draw, n_feeder=len(coupled.feeders))
    _, bus = interface_of_feeders(coupled)
    mask = book.feeder >= 0
    curves = merit_order_curves(book, "interface", coupled)
    want = _independent_totals(book.take(mask), [bus[book.feeder[mask]]])
    got = curve_totals(curves, "interface")
    np.testing.assert_allclose(np.sort(got["cumulative_mw"]), np.sort(want.to_numpy()))


def test_interface_mapping_and_errors(coupled: GridModel, case33bw: GridModel) -> None:
    rows, bus = interface_of_feeders(coupled)
    assert rows.tolist() == list(range(6))
    want = coupled.transmission.bus_rows(coupled.interfaces.transmission_bus)  # type: ignore[union-attr]
    assert bus.tolist() == want.tolist()
    assert len(set(bus.tolist())) == 3  # two feeders below each of the 3 load buses
    book = OfferBook.empty(2)
    with pytest.raises(DerError, match="need the grid"):
        merit_order_curves(book, "interface")
    with pytest.raises(DerError, match="unknown aggregation level"):
        merit_order_curves(book, "zone")  # type: ignore[arg-type]
    assert merit_order_curves(book, "interface", case33bw).empty
