"""``multi_level``: bottom-up clearing per voltage layer (LV → MV → interface → TSO).

Seed 001 §III (EU multi-level market model): "each system operator (LV, MV, HV …) runs its own
market for its grid; offers not needed at one level are aggregated and passed to the level
above". California Total DSO ("layered").

Reading: a feeder's lower layers are the sub-trees below its transformer branches (or voltage
changes); each sub-tree clears the limits of its own nodes and branches with the offers inside
it first (deepest first), then the feeder (MV) layer clears the rest of its limits with the
residual offers, then the residual of the feeder goes to the TSO as in ``local``
(pass-through or aggregated, filtered for feasibility). For a single-voltage feeder this is the
recursion feeder → interface → TSO, i.e. ``local``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingSpec
from tdcoord.coordination.clearing import clear as clear_lp
from tdcoord.coordination.injectors import prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome, worst_status
from tdcoord.coordination.prices import dlmp_parts_of
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    note_operator,
    scatter,
    send_activations,
    tso_market,
)
from tdcoord.coordination.schemes.local import dso_stage, residual_offer, tso_stage
from tdcoord.grid.model import Feeder
from tdcoord.types import BoolArray

DEFAULTS: dict[str, Any] = {"interface_offer": "aggregated", "operator": "incumbent"}


def layers(feeder: Feeder) -> list[BoolArray]:
    """Node masks of the lower-layer sub-trees (below a transformer or a voltage change),
    deepest first."""
    vn = feeder.nodes.vn_kv
    parent = feeder.parent
    child = np.arange(1, feeder.n_node)
    cut = feeder.branches.is_transformer | ~np.isclose(vn[parent[1:]], vn[child])
    heads = child[cut & (np.arange(len(child)) > 0)] if feeder.n_node > 1 else child[:0]
    out = []
    for h in heads:  # a few sub-trees per feeder
        mask = np.zeros(feeder.n_node, dtype=bool)
        mask[h] = True
        for j in range(h + 1, feeder.n_node):  # breadth-first order: parents come first
            if mask[parent[j]]:
                mask[j] = True
        out.append(mask)
    depth = [int(np.count_nonzero(m)) for m in out]
    return [out[i] for i in np.argsort(depth, kind="stable")]


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` bottom-up."""
    p = check_params("multi_level", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    o = case.offers
    low_act = np.zeros_like(o.quantity_mw)
    statuses, slacks = [], []
    for f, fd in enumerate(case.grid.feeders):
        for i, mask in enumerate(layers(fd)):
            sel = (inj.feeder == f) & mask[np.where(inj.feeder == f, inj.node, 0)]
            if not sel.any():
                continue
            sub = inj.take(sel).with_cap(np.maximum(inj.cap[sel] - low_act[sel], 0.0))
            res = clear_lp(
                case,
                ClearingSpec(
                    injectors=sub,
                    feeders=(f,),
                    feeder_masks={f: (mask, mask[1:])},
                    prior=prior_from_activation(case, low_act),
                ),
            )
            a = scatter(case, sub, res.activation_mw)
            send_activations(log, case, a, f"{case.feeder_label(f)}/lv{i}")
            log.send(
                f"{case.feeder_label(f)}/lv{i}",
                case.feeder_label(f),
                "aggregated_offer",
                sub.cap.sum(axis=0),
            )
            low_act += a
            statuses.append(res.status)
            slacks.append(res.slacks)
    left = inj.with_cap(np.maximum(inj.cap - low_act, 0.0))
    op = p["operator"]
    note_operator(log, case, op)
    mv_act, dres = dso_stage(
        case, left, log, prior=prior_from_activation(case, low_act), operator=op
    )
    d_act = low_act + mv_act
    prior = prior_from_activation(case, d_act)
    offer = residual_offer(case, inj, d_act, prior, p["interface_offer"], log)
    t_act, tres = tso_stage(case, offer, log, prior=prior, buyer=tso_market(op))
    parts = [("tso", t_act)] + [
        (case.feeder_label(f), np.where((o.feeder == f)[:, None], d_act, 0.0))
        for f in range(case.n_feeders)
    ]
    return make_outcome(
        case,
        "multi_level",
        p,
        Cleared(
            status=worst_status(tres.status, *statuses, *[r.status for r in dres]),
            parts=parts,
            messages=log,
            compute_s=time.perf_counter() - t0,
            gen_redispatch_mw=tres.redispatch_mw,
            lmp_eur_per_mwh=tres.lmp_eur_per_mwh,
            dlmp_eur_per_mwh={f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)},
            dlmp_parts=dlmp_parts_of(dres),
            slacks=[tres.slacks, *slacks, *[r.slacks for r in dres]],
        ),
    )
