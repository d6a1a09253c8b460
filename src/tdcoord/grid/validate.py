"""AC power-flow validation with pandapower.

Feeders are independent below their roots, so they are validated in batches: one pandapower
network holds a whole batch of feeders, each with its own external grid at its root
(``vm_pu = v_root_pu``), and a single Newton–Raphson solves them all (block-diagonal Jacobian).
Networks are built with pandapower's vectorised ``create_*s`` functions, never element by
element. Same-voltage branches become lines (r, x, and charging c from b_pu at 50 Hz); branches
between voltage levels become per-unit impedances on the feeder base. A feeder's root shunt (the
no-load losses of its supply transformers, ``Feeder.root_shunt_p_mw``) is a pandapower shunt at
the root and counts in the feeder's losses.

Transmission is validated by pandapower's AC power flow on the MATPOWER data (``from_ppc``).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tdcoord.errors import GridError
from tdcoord.grid.model import Feeder, GridModel, Transmission
from tdcoord.types import FloatArray

F_HZ = 50.0
#: Tolerance on limits before a value counts as a violation.
V_TOL_PU = 1e-6
LOADING_TOL = 1e-6


@dataclasses.dataclass(frozen=True)
class Violation:
    """One limit violation found by power flow."""

    network: str  #: feeder id or "transmission"
    kind: str  #: "voltage_low", "voltage_high", "overload", "interface_overload", "not_converged"
    element: str  #: node/bus id or branch name
    value: float  #: v_pu, or loading in percent
    limit: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class FeederFlow:
    """Power-flow result of one feeder (arrays per node row / branch row)."""

    feeder: str
    converged: bool
    v_pu: FloatArray
    loading_percent: FloatArray
    losses_mw: float
    root_p_mw: float
    root_q_mvar: float


@dataclasses.dataclass(frozen=True)
class ValidationResult:
    """AC validation of a grid: per-feeder flows, transmission summary and every violation."""

    feeders: tuple[FeederFlow, ...]
    transmission_losses_mw: float | None
    transmission_v_pu: FloatArray | None
    violations: tuple[Violation, ...]

    @property
    def losses_mw(self) -> float:
        """Total losses, MW (feeders plus transmission where validated)."""
        return float(sum(f.losses_mw for f in self.feeders) + (self.transmission_losses_mw or 0.0))

    @property
    def v_min_pu(self) -> float:
        """Lowest voltage anywhere validated."""
        values = [float(f.v_pu.min()) for f in self.feeders if len(f.v_pu)]
        if self.transmission_v_pu is not None and len(self.transmission_v_pu):
            values.append(float(self.transmission_v_pu.min()))
        return min(values) if values else math.nan

    @property
    def v_max_pu(self) -> float:
        """Highest voltage anywhere validated."""
        values = [float(f.v_pu.max()) for f in self.feeders if len(f.v_pu)]
        if self.transmission_v_pu is not None and len(self.transmission_v_pu):
            values.append(float(self.transmission_v_pu.max()))
        return max(values) if values else math.nan


# -- feeders --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NodeInjections:
    """Net load per node row of one feeder (consumption − generation), MW and Mvar."""

    p_mw: FloatArray
    q_mvar: FloatArray


def default_injections(feeder: Feeder) -> NodeInjections:
    """The feeder's own loads minus its static generation."""
    return NodeInjections(
        p_mw=feeder.node_load_mw() - feeder.node_sgen_mw(),
        q_mvar=feeder.node_load_mvar() - feeder.node_sgen_mvar(),
    )


def batch_net(
    feeders: Sequence[Feeder], injections: Sequence[NodeInjections]
) -> tuple[Any, list[Any]]:
    """One pandapower network holding every feeder as its own island (one external grid each,
    one load per node), and per feeder the spans of its buses, lines and transformers — solved
    once for all feeders, then read back with :func:`feeder_flows_from`.

    Every element family is created by one vectorised ``create_*s`` call over all feeders (a
    call per feeder would copy the growing tables once per feeder: quadratic in the feeders,
    minutes for the national-scale study's 1,259)."""
    import pandapower as pp

    net = pp.create_empty_network(sn_mva=feeders[0].base_mva, f_hz=F_HZ)
    n_nodes = np.array([f.n_node for f in feeders], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(n_nodes)[:-1]]).astype(np.int64)
    vn_all = np.concatenate([f.nodes.vn_kv for f in feeders])
    all_buses = np.asarray(pp.create_buses(net, int(n_nodes.sum()), vn_kv=vn_all), dtype=np.int64)
    for k, f in enumerate(feeders):
        pp.create_ext_grid(net, int(all_buses[start[k]]), vm_pu=f.v_root_pu, va_degree=0.0)
    pp.create_loads(net, all_buses, p_mw=np.concatenate([i.p_mw for i in injections]),
                    q_mvar=np.concatenate([i.q_mvar for i in injections]))
    shunted = [k for k, f in enumerate(feeders) if f.root_shunt_p_mw or f.root_shunt_q_mvar]
    if shunted:  # supply transformers' no-load losses
        pp.create_shunts(net, all_buses[start[shunted]],
                         q_mvar=[feeders[k].root_shunt_q_mvar for k in shunted],
                         p_mw=[feeders[k].root_shunt_p_mw for k in shunted])
    parts = [_branch_parts(f, all_buses[start[k]:start[k] + f.n_node], net.sn_mva)
             for k, f in enumerate(feeders)]
    lines = _create_lines(net, [p[0] for p in parts])
    imps = _create_impedances(net, [p[1] for p in parts])
    return net, [
        (all_buses[start[k]:start[k] + f.n_node], parts[k][0]["rows"], lines[k],
         parts[k][1]["rows"], imps[k])
        for k, f in enumerate(feeders)
    ]


def _branch_parts(
    f: Feeder, buses: Any, sn_mva: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Feeder ``f``'s branches as line and impedance parameters (rows into its branch table):
    same-voltage branches are lines (r, x, charging from b_pu at 50 Hz), branches between
    voltage levels per-unit impedances on the network's base."""
    vn, br = f.nodes.vn_kv, f.branches
    child = np.arange(1, f.n_node)
    parent = f.parent[1:]
    same = np.isclose(vn[parent], vn[child]) & ~br.is_transformer
    z_base = vn[child] ** 2 / f.base_mva
    scale = f.base_mva / sn_mva
    lr = np.flatnonzero(same)
    ir = np.flatnonzero(~same)
    zb = z_base[lr]
    line = {
        "rows": lr, "from": buses[parent[lr]], "to": buses[child[lr]],
        "r": br.r_pu[lr] * zb, "x": br.x_pu[lr] * zb,
        "c": br.b_pu[lr] / zb / (2 * math.pi * F_HZ) * 1e9,
    }
    imp = {
        "rows": ir, "from": buses[parent[ir]], "to": buses[child[ir]],
        "r": br.r_pu[ir] / scale, "x": br.x_pu[ir] / scale,
    }
    return line, imp


def _split(ids: Any, counts: list[int]) -> list[Any]:
    """``ids`` (one per element, feeders in order) split back per feeder."""
    ids = np.asarray(ids, dtype=np.int64)
    return np.split(ids, np.cumsum(counts)[:-1]) if counts else []


def _create_lines(net: Any, parts: list[dict[str, Any]]) -> list[Any]:
    """Every feeder's lines in one ``create_lines_from_parameters`` call; ids per feeder."""
    import pandapower as pp

    counts = [len(p["rows"]) for p in parts]
    if not sum(counts):
        return [np.empty(0, dtype=np.int64) for _ in parts]
    cat = {k: np.concatenate([p[k] for p in parts]) for k in ("from", "to", "r", "x", "c")}
    ids = pp.create_lines_from_parameters(
        net, cat["from"], cat["to"], length_km=1.0, r_ohm_per_km=cat["r"],
        x_ohm_per_km=cat["x"], c_nf_per_km=cat["c"], max_i_ka=1e5,
    )
    return _split(ids, counts)


def _create_impedances(net: Any, parts: list[dict[str, Any]]) -> list[Any]:
    """Every feeder's per-unit impedances in one ``create_impedances`` call; ids per feeder."""
    import pandapower as pp

    counts = [len(p["rows"]) for p in parts]
    if not sum(counts):
        return [np.empty(0, dtype=np.int64) for _ in parts]
    cat = {k: np.concatenate([p[k] for p in parts]) for k in ("from", "to", "r", "x")}
    ids = pp.create_impedances(
        net, cat["from"], cat["to"], rft_pu=cat["r"], xft_pu=cat["x"], sn_mva=net.sn_mva
    )
    return _split(ids, counts)


def _branch_results(table: Any) -> tuple[Any, FloatArray, FloatArray]:
    """Index, apparent power (max of both ends, MVA) and losses (MW) of a pandapower result
    table, as arrays (read once per power flow, not per feeder)."""
    s_mva = np.maximum(
        np.hypot(table.p_from_mw.to_numpy(), table.q_from_mvar.to_numpy()),
        np.hypot(table.p_to_mw.to_numpy(), table.q_to_mvar.to_numpy()),
    )
    return table.index, s_mva, table.pl_mw.to_numpy()


def feeder_flows_from(
    net: Any, feeders: Sequence[Feeder], spans: list[Any], converged: bool
) -> list[FeederFlow]:
    """Voltages, branch loadings and losses per feeder from a solved :func:`batch_net`
    (zeros with ``converged=False``)."""
    out = []
    if converged:
        vm = net.res_bus.vm_pu.to_numpy()
        line_idx, line_s, line_loss = _branch_results(net.res_line)
        imp_idx, imp_s, imp_loss = _branch_results(net.res_impedance)
        ext_p = net.res_ext_grid.p_mw.to_numpy()
        ext_q = net.res_ext_grid.q_mvar.to_numpy()
    for k, (f, (buses, line_rows, lines, imp_rows, imps)) in enumerate(
        zip(feeders, spans, strict=True)
    ):
        s_mva = np.zeros(len(f.branches))
        if converged:
            v = vm[buses]
            losses = 0.0
            if len(lines):
                pos = line_idx.get_indexer(lines)
                s_mva[line_rows] = line_s[pos]
                losses += float(line_loss[pos].sum())
            if len(imps):
                pos = imp_idx.get_indexer(imps)
                s_mva[imp_rows] = imp_s[pos]
                losses += float(imp_loss[pos].sum())
            losses += f.root_shunt_p_mw * f.v_root_pu**2  # no-load losses at the fixed root
            root_p = float(ext_p[k])
            root_q = float(ext_q[k])
        else:
            v = np.full(f.n_node, np.nan)
            root_p = root_q = math.nan
            losses = math.nan
        loading = 100.0 * s_mva / f.branches.rating_mva
        out.append(FeederFlow(f.id, converged, v, loading, losses, root_p, root_q))
    return out


def _where(
    network: str, kind: str, mask: Any, labels: Any, values: Any, limits: Any
) -> list[Violation]:
    """One :class:`Violation` per element where ``mask`` holds."""
    return [
        Violation(network, kind, str(labels[i]), float(values[i]), float(limits[i]))
        for i in np.flatnonzero(mask)
    ]


def feeder_violations(
    f: Feeder, flow: FeederFlow, interface_rating_mva: float = math.inf
) -> list[Violation]:
    """Voltage, branch and interface violations of one feeder's power flow."""
    if not flow.converged:
        return [Violation(f.id, "not_converged", "power flow", math.nan, math.nan)]
    nodes = f.nodes
    out = [
        *_where(
            f.id,
            "voltage_low",
            flow.v_pu < nodes.v_min_pu - V_TOL_PU,
            nodes.id,
            flow.v_pu,
            nodes.v_min_pu,
        ),
        *_where(
            f.id,
            "voltage_high",
            flow.v_pu > nodes.v_max_pu + V_TOL_PU,
            nodes.id,
            flow.v_pu,
            nodes.v_max_pu,
        ),
        *_where(
            f.id,
            "overload",
            flow.loading_percent > 100.0 + LOADING_TOL,
            f.branches.name,
            flow.loading_percent,
            np.full(len(f.branches), 100.0),
        ),
    ]
    rating = min(interface_rating_mva, f.substation_rating_mva)
    s_root = math.hypot(flow.root_p_mw, flow.root_q_mvar)
    if math.isfinite(rating) and s_root > rating * (1 + LOADING_TOL):
        out.append(Violation(f.id, "interface_overload", "root", 100.0 * s_root / rating, 100.0))
    return out


def run_feeders(
    feeders: Sequence[Feeder],
    injections: Mapping[str, NodeInjections] | None = None,
    *,
    batch_size: int = 200,
) -> list[FeederFlow]:
    """AC power flow of many feeders, ``batch_size`` feeders per pandapower network. A batch that
    does not converge is split in halves, recursively, down to the feeders that fail alone (their
    flows are marked not converged): k failing feeders among N cost O(k log N) power flows, not
    N, which keeps the validation of ~1,000 feeders fast (benchmarks/README.md, large study)."""
    import pandapower as pp

    flows: list[FeederFlow] = []
    for start in range(0, len(feeders), batch_size):
        batch = list(feeders[start : start + batch_size])
        inj = [
            injections[f.id]
            if injections is not None and f.id in injections
            else default_injections(f)
            for f in batch
        ]
        for f, i in zip(batch, inj, strict=True):
            if i.p_mw.shape != (f.n_node,) or i.q_mvar.shape != (f.n_node,):
                raise GridError(
                    f"injections of feeder {f.id!r} must have one value per node ({f.n_node})",
                    fix="give p_mw and q_mvar arrays in the feeder's node order",
                )
        net, spans = batch_net(batch, inj)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pp.runpp(net, init="flat", calculate_voltage_angles=False, numba=False)
            converged = True
        except pp.LoadflowNotConverged:
            converged = False
        if converged or len(batch) == 1:
            flows.extend(feeder_flows_from(net, batch, spans, converged))
        else:  # isolate the feeders that fail by bisection: ~2·log2(batch) power flows each
            half = (len(batch) + 1) // 2
            flows.extend(run_feeders(batch[:half], injections, batch_size=half))
            flows.extend(run_feeders(batch[half:], injections, batch_size=half))
    return flows


# -- transmission --------------------------------------------------------------------------------


def transmission_ppc(t: Transmission, gen_p_mw: FloatArray | None = None) -> dict[str, Any]:
    """MATPOWER case dict of the transmission network (generators at ``gen_p_mw``)."""
    nb, nl, ng = t.n_bus, len(t.branches), len(t.generators)
    bus = np.zeros((nb, 13))
    bus[:, 0] = np.arange(1, nb + 1)
    bus[:, 1] = np.where(t.buses.is_reference, 3, 1)
    p_load = t.bus_load_mw()
    q_load = np.zeros(nb)
    np.add.at(q_load, t.bus_rows(t.loads.bus), t.loads.q_mvar)
    bus[:, 2], bus[:, 3] = p_load, q_load
    bus[:, 4], bus[:, 5] = t.buses.gs_mw, t.buses.bs_mvar
    bus[:, 6], bus[:, 7] = 1, 1.0
    bus[:, 9] = np.where(np.isfinite(t.buses.vn_kv), t.buses.vn_kv, 1.0)
    bus[:, 10], bus[:, 11], bus[:, 12] = 1, t.buses.v_max_pu, t.buses.v_min_pu
    g_rows = t.bus_rows(t.generators.bus)
    pv = np.zeros(nb, dtype=bool)
    pv[g_rows] = True
    bus[pv & ~t.buses.is_reference, 1] = 2
    if gen_p_mw is None:
        total = float(p_load.sum() + t.buses.gs_mw.sum())
        cap = np.maximum(t.generators.p_max_mw, 0)
        gen_p_mw = cap * (total / cap.sum()) if cap.sum() > 0 else np.zeros(ng)
    gen = np.zeros((ng, 21))
    gen[:, 0] = g_rows + 1
    gen[:, 1] = gen_p_mw
    gen[:, 3], gen[:, 4] = t.generators.q_max_mvar, t.generators.q_min_mvar
    gen[:, 5] = np.where(t.buses.is_reference[g_rows], t.v_ref_pu, 1.0)  # VG: slack set-point
    gen[:, 6], gen[:, 7] = t.base_mva, 1
    gen[:, 8], gen[:, 9] = t.generators.p_max_mw, t.generators.p_min_mw
    branch = np.zeros((nl, 13))
    branch[:, 0] = t.bus_rows(t.branches.from_bus) + 1
    branch[:, 1] = t.bus_rows(t.branches.to_bus) + 1
    branch[:, 2], branch[:, 3], branch[:, 4] = t.branches.r_pu, t.branches.x_pu, t.branches.b_pu
    branch[:, 5] = np.where(np.isfinite(t.branches.rating_mva), t.branches.rating_mva, 0)
    branch[:, 8] = np.where(t.branches.is_transformer, t.branches.tap_ratio, 0)
    branch[:, 9] = t.branches.shift_deg
    branch[:, 10] = 1
    branch[:, 11], branch[:, 12] = t.branches.angmin_deg, t.branches.angmax_deg
    return {"version": "2", "baseMVA": t.base_mva, "bus": bus, "gen": gen, "branch": branch}


def run_transmission(
    t: Transmission, gen_p_mw: FloatArray | None = None
) -> tuple[bool, FloatArray, float, FloatArray]:
    """AC power flow of transmission: (converged, v_pu per bus row, losses, loading %)."""
    import logging

    import pandapower as pp
    from pandapower.converter.pypower import from_ppc

    logging.getLogger("pandapower").setLevel(logging.ERROR)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = from_ppc(transmission_ppc(t, gen_p_mw), f_hz=F_HZ, validate_conversion=False)
        try:
            pp.runpp(net, init="dc", numba=False, enforce_q_lims=False)
        except pp.LoadflowNotConverged:
            return False, np.full(t.n_bus, np.nan), math.nan, np.full(len(t.branches), np.nan)
    v = net.res_bus.vm_pu.to_numpy()
    va = np.deg2rad(net.res_bus.va_degree.to_numpy())
    s_from, s_to = branch_flows_mva(t, v * np.exp(1j * va))
    losses = float((s_from + s_to).real.sum())
    s_max = np.maximum(np.abs(s_from), np.abs(s_to))
    return True, v, losses, 100.0 * s_max / t.branches.rating_mva


def branch_flows_mva(t: Transmission, v_complex: Any) -> tuple[Any, Any]:
    """Complex power into each branch at its from and to ends, MVA (π model, MATPOWER manual
    eq. 3.2): with y_s = 1/(r + jx) and τ = tap·e^{jθ_shift},
    I_f = (y_s + jb/2)/|τ|² · V_f − y_s/τ* · V_t,  I_t = −y_s/τ · V_f + (y_s + jb/2) · V_t."""
    br = t.branches
    ys = 1.0 / (br.r_pu + 1j * br.x_pu)
    tap = np.where(br.is_transformer, br.tap_ratio, 1.0) * np.exp(1j * np.deg2rad(br.shift_deg))
    ytt = ys + 0.5j * br.b_pu
    vf = v_complex[t.bus_rows(br.from_bus)]
    vt = v_complex[t.bus_rows(br.to_bus)]
    i_f = ytt / (tap * np.conj(tap)) * vf - ys / np.conj(tap) * vt
    i_t = -ys / tap * vf + ytt * vt
    return vf * np.conj(i_f) * t.base_mva, vt * np.conj(i_t) * t.base_mva


def validate(
    model: GridModel,
    injections: Mapping[str, NodeInjections] | None = None,
    *,
    transmission: bool = True,
    gen_p_mw: FloatArray | None = None,
    batch_size: int = 200,
) -> ValidationResult:
    """Validate every feeder (batched AC power flow) and, optionally, the transmission network.

    For a coupled model, each feeder's root exchange is added to its interface bus before the
    transmission power flow.
    """
    flows = run_feeders(model.feeders, injections, batch_size=batch_size)
    violations: list[Violation] = []
    rating_by_feeder = dict(
        zip(model.interfaces.feeder.tolist(), model.interfaces.rating_mva.tolist(), strict=True)
    )
    for f, flow in zip(model.feeders, flows, strict=True):
        violations.extend(feeder_violations(f, flow, rating_by_feeder.get(f.id, math.inf)))
    t_losses = None
    t_v = None
    t = model.transmission
    if transmission and t is not None:
        t = _with_feeder_exchange(model, flows)
        ok, t_v, t_losses, loading = run_transmission(t, gen_p_mw)
        if not ok:
            violations.append(
                Violation("transmission", "not_converged", "power flow", math.nan, math.nan)
            )
        else:
            b = t.buses
            violations += _where(
                "transmission", "voltage_low", t_v < b.v_min_pu - V_TOL_PU, b.id, t_v, b.v_min_pu
            )
            violations += _where(
                "transmission", "voltage_high", t_v > b.v_max_pu + V_TOL_PU, b.id, t_v, b.v_max_pu
            )
            violations += _where(
                "transmission",
                "overload",
                loading > 100.0 + LOADING_TOL,
                t.branches.name,
                loading,
                np.full(len(t.branches), 100.0),
            )
    return ValidationResult(tuple(flows), t_losses, t_v, tuple(violations))


def _with_feeder_exchange(model: GridModel, flows: Sequence[FeederFlow]) -> Transmission:
    """Transmission with each feeder's root exchange as a load at its interface bus."""
    from tdcoord.grid.components import LoadTable

    t = model.transmission
    assert t is not None
    itf = model.interfaces
    if len(itf) == 0:
        return t
    by_id = {fl.feeder: fl for fl in flows}
    p = np.array([by_id[f].root_p_mw for f in itf.feeder])
    q = np.array([by_id[f].root_q_mvar for f in itf.feeder])
    base = int(np.abs(t.loads.id).max()) + 1 if len(t.loads) else 0
    extra = LoadTable(
        id=base + np.arange(len(itf)),
        bus=itf.transmission_bus,
        p_mw=np.nan_to_num(p),
        q_mvar=np.nan_to_num(q),
        profile=np.full(len(itf), "", dtype=object),
    )
    loads = LoadTable(
        id=np.concatenate([t.loads.id, extra.id]),
        bus=np.concatenate([t.loads.bus, extra.bus]),
        p_mw=np.concatenate([t.loads.p_mw, extra.p_mw]),
        q_mvar=np.concatenate([t.loads.q_mvar, extra.q_mvar]),
        profile=np.concatenate([t.loads.profile, extra.profile]),
    )
    return dataclasses.replace(t, loads=loads)
