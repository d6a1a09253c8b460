"""DER registry with a validated lifecycle, an audit trail and aggregator portfolios.

Lifecycle per DER **and product** (a DER registers once, then qualifies product by product):

    registered ──prequalify──▶ prequalified ──activate──▶ active ◀──▶ suspended
          │                         │                        │            │
          └────────────── withdraw ─┴────────────────────────┴────────────┘──▶ withdrawn

Any other transition raises :class:`~tdcoord.der.errors.RegistryError`. Prequalification needs a
passing :class:`~tdcoord.der.prequalification.PrequalificationResult` (green or amber) for that
product. ``withdrawn`` is final for that product.

Every transition is recorded as a :class:`Transition` (who, when — tz-aware UTC —, why).
System-operator roles follow the terms of the EU network code on demand response (ACER framework
guideline on demand response, 2022): the **connecting** system operator (grid the DER is
connected to), the **procuring** system operator(s) (buyers of the product, per product) and the
**impacted** system operators (whose grid an activation affects). One aggregator per DER and
product (seed 001 §II: a DERA bundles DERs into aggregations).
The registry is bookkeeping, not a hot path: plain dictionaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from tdcoord.der.errors import RegistryError
from tdcoord.der.prequalification import PrequalificationResult


class Status(StrEnum):
    REGISTERED = "registered"
    PREQUALIFIED = "prequalified"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


#: Legal transitions of a (DER, product) record.
ALLOWED: dict[Status, frozenset[Status]] = {
    Status.REGISTERED: frozenset({Status.PREQUALIFIED, Status.WITHDRAWN}),
    Status.PREQUALIFIED: frozenset({Status.ACTIVE, Status.WITHDRAWN}),
    Status.ACTIVE: frozenset({Status.SUSPENDED, Status.WITHDRAWN}),
    Status.SUSPENDED: frozenset({Status.ACTIVE, Status.WITHDRAWN}),
    Status.WITHDRAWN: frozenset(),
}


@dataclass(frozen=True)
class Transition:
    """One entry of the audit trail (``product_id`` is ``None`` for DER-level events)."""

    der_id: str
    product_id: str | None
    from_status: Status | None
    to_status: Status
    by: str
    at: datetime
    reason: str


@dataclass
class DerRecord:
    """A registered DER and its per-product status."""

    der_id: str
    kind: str
    connecting_so: str
    impacted_sos: tuple[str, ...] = ()
    status: dict[str, Status] = field(default_factory=dict)
    procuring_sos: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aggregator: dict[str, str] = field(default_factory=dict)
    prequalification: dict[str, PrequalificationResult] = field(default_factory=dict)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class DerRegistry:
    """Registry of DERs. ``clock`` returns the time of each transition (inject a fixed clock for
    deterministic runs); explicit ``at=`` arguments override it and must be tz-aware."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._records: dict[str, DerRecord] = {}
        self._log: list[Transition] = []

    # ----------------------------------------------------------------- helpers
    def _when(self, at: datetime | None) -> datetime:
        t = self._clock() if at is None else at
        if t.tzinfo is None or t.utcoffset() is None:
            raise RegistryError(
                f"timestamp {t.isoformat()} has no time zone",
                where="registry transition",
                fix="pass a tz-aware datetime, e.g. datetime(..., tzinfo=UTC)",
            )
        return t.astimezone(UTC)

    def record(self, der_id: str) -> DerRecord:
        try:
            return self._records[der_id]
        except KeyError:
            raise RegistryError(
                f"unknown DER {der_id!r}", where="registry", fix="register() it first"
            ) from None

    def _status(self, der_id: str, product_id: str) -> Status:
        rec = self.record(der_id)
        return rec.status.get(product_id, Status.REGISTERED)

    def _move(
        self, der_id: str, product_id: str, to: Status, by: str, reason: str, at: datetime | None
    ) -> Transition:
        rec = self.record(der_id)
        frm = self._status(der_id, product_id)
        if to not in ALLOWED[frm]:
            legal = ", ".join(sorted(ALLOWED[frm])) or "none (final state)"
            raise RegistryError(
                f"illegal transition {frm} → {to} for product {product_id!r}",
                where=f"DER {der_id!r}",
                fix=f"from {frm} the legal next states are: {legal}",
            )
        if not by:
            raise RegistryError(
                "transition without 'by'", where=f"DER {der_id!r}", fix="say who makes the change"
            )
        tr = Transition(der_id, product_id, frm, to, by, self._when(at), reason)
        rec.status[product_id] = to
        self._log.append(tr)
        return tr

    # ----------------------------------------------------------------- lifecycle
    def register(
        self,
        der_id: str,
        *,
        kind: str,
        connecting_so: str,
        impacted_sos: Iterable[str] = (),
        by: str,
        reason: str = "registration",
        at: datetime | None = None,
    ) -> DerRecord:
        """Register a DER with its connecting (and impacted) system operators."""
        if der_id in self._records:
            raise RegistryError(
                f"DER {der_id!r} is already registered",
                where="registry",
                fix="use a new id or update the existing record",
            )
        if not connecting_so:
            raise RegistryError(
                "missing connecting system operator",
                where=f"DER {der_id!r}",
                fix="name the DSO (or TSO) the DER is connected to",
            )
        when = self._when(at)
        rec = DerRecord(der_id, kind, connecting_so, tuple(impacted_sos))
        self._records[der_id] = rec
        self._log.append(Transition(der_id, None, None, Status.REGISTERED, by, when, reason))
        return rec

    def prequalify(
        self,
        der_id: str,
        result: PrequalificationResult,
        *,
        procuring_sos: Iterable[str],
        by: str,
        reason: str = "",
        at: datetime | None = None,
    ) -> Transition:
        """registered → prequalified for ``result.product_id``; needs a passing result."""
        if result.subject != der_id:
            raise RegistryError(
                f"prequalification result is for {result.subject!r}",
                where=f"DER {der_id!r}",
                fix="pass the result computed for this DER",
            )
        if not result.passed:
            raise RegistryError(
                f"prequalification for {result.product_id!r} is red: {'; '.join(result.reasons)}",
                where=f"DER {der_id!r}",
                fix="resolve the reasons (or join an aggregation) and prequalify again",
            )
        sos = tuple(procuring_sos)
        if not sos:
            raise RegistryError(
                "no procuring system operator",
                where=f"DER {der_id!r}",
                fix="name the buyer(s) of the product (TSO and/or DSO id)",
            )
        why = reason or f"prequalification {result.light}: {'; '.join(result.reasons) or 'ok'}"
        tr = self._move(der_id, result.product_id, Status.PREQUALIFIED, by, why, at)
        rec = self.record(der_id)
        rec.prequalification[result.product_id] = result
        rec.procuring_sos[result.product_id] = sos
        return tr

    def activate(
        self, der_id: str, product_id: str, *, by: str, reason: str = "", at: datetime | None = None
    ) -> Transition:
        """prequalified or suspended → active."""
        return self._move(der_id, product_id, Status.ACTIVE, by, reason, at)

    def suspend(
        self, der_id: str, product_id: str, *, by: str, reason: str, at: datetime | None = None
    ) -> Transition:
        """active → suspended (a reason is required)."""
        if not reason:
            raise RegistryError(
                "suspension without a reason",
                where=f"DER {der_id!r}",
                fix="state why the DER is suspended",
            )
        return self._move(der_id, product_id, Status.SUSPENDED, by, reason, at)

    def withdraw(
        self,
        der_id: str,
        product_id: str | None = None,
        *,
        by: str,
        reason: str = "",
        at: datetime | None = None,
    ) -> list[Transition]:
        """Withdraw from one product, or from every product (``product_id=None``)."""
        rec = self.record(der_id)
        products = (
            [product_id]
            if product_id is not None
            else [p for p, s in rec.status.items() if s is not Status.WITHDRAWN]
        )
        out = [self._move(der_id, p, Status.WITHDRAWN, by, reason, at) for p in products]
        for p in products:
            rec.aggregator.pop(p, None)
        return out

    # ----------------------------------------------------------------- aggregators
    def assign_aggregator(
        self,
        der_id: str,
        product_id: str,
        aggregator_id: str,
        *,
        by: str,
        reason: str = "",
        at: datetime | None = None,
    ) -> None:
        """Put a DER in an aggregator's portfolio for one product (one aggregator per DER and
        product). The DER must not be withdrawn from that product."""
        rec = self.record(der_id)
        current = rec.aggregator.get(product_id)
        if current is not None and current != aggregator_id:
            raise RegistryError(
                f"DER is already with aggregator {current!r} for {product_id!r}",
                where=f"DER {der_id!r}",
                fix="release_aggregator() first (one aggregator per DER and product)",
            )
        status = self._status(der_id, product_id)
        if status is Status.WITHDRAWN:
            raise RegistryError(
                f"DER is withdrawn from {product_id!r}",
                where=f"DER {der_id!r}",
                fix="a withdrawn DER cannot join a portfolio",
            )
        rec.aggregator[product_id] = aggregator_id
        self._log.append(
            Transition(
                der_id,
                product_id,
                status,
                status,
                by,
                self._when(at),
                reason or f"assigned to aggregator {aggregator_id}",
            )
        )

    def release_aggregator(
        self, der_id: str, product_id: str, *, by: str, reason: str = "", at: datetime | None = None
    ) -> None:
        rec = self.record(der_id)
        if product_id not in rec.aggregator:
            raise RegistryError(
                f"no aggregator for {product_id!r}",
                where=f"DER {der_id!r}",
                fix="nothing to release",
            )
        agg = rec.aggregator.pop(product_id)
        status = self._status(der_id, product_id)
        self._log.append(
            Transition(
                der_id,
                product_id,
                status,
                status,
                by,
                self._when(at),
                reason or f"released from aggregator {agg}",
            )
        )

    def portfolio(self, aggregator_id: str, product_id: str | None = None) -> list[str]:
        """DER ids in an aggregator's portfolio (for one product or any), sorted."""
        return sorted(
            {
                r.der_id
                for r in self._records.values()
                for p, a in r.aggregator.items()
                if a == aggregator_id and (product_id is None or p == product_id)
            }
        )

    # ----------------------------------------------------------------- queries
    def status(self, der_id: str, product_id: str) -> Status:
        return self._status(der_id, product_id)

    def active(self, product_id: str) -> list[str]:
        """DER ids active for ``product_id`` (the ones that may be offered), sorted."""
        return sorted(
            d for d, r in self._records.items() if r.status.get(product_id) is Status.ACTIVE
        )

    def history(self, der_id: str | None = None) -> list[Transition]:
        """The audit trail (all DERs or one), in order."""
        return [t for t in self._log if der_id is None or t.der_id == der_id]

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, der_id: object) -> bool:
        return der_id in self._records
