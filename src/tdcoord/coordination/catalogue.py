"""The catalogue: every TSO–DSO coordination model named in the seeds → a canonical scheme + params.

The two source reviews (``seeds/000_359f80fe2203bbba.txt``, Section 1.2 and 3.2;
``seeds/001_584bb78bb87c721f.txt``, Section III) name about thirty models from Australia, Europe,
Great Britain, the US, California and Canada. Most are the same few mechanisms under different
names, so each model is data (``catalogue.yaml`` next to this module): a stable id, its name,
region, source (seed file and section), description, the canonical scheme that implements it and
that scheme's parameters, the reading taken where the source is open to more than one, and the
qualitative attributes the sources assess (neutrality, transparency, implementation complexity),
each with a level, whether the level is stated by the seed or inferred, and a one-line reason.

The YAML is validated with pydantic: an unknown scheme, an unknown parameter key, a parameter that
the chosen scheme does not take or a bad value raises :class:`CatalogueError` naming the entry.
Users add models with their own YAML file (same format) through :func:`load_catalogue`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tdcoord.errors import Issue, TdcoordError

__all__ = [
    "PARAM_SCHEMES",
    "SCHEMES",
    "Catalogue",
    "CatalogueError",
    "ModelEntry",
    "get_model",
    "list_models",
    "load_catalogue",
    "models_for_scheme",
]

#: The ten canonical scheme names (shared contract).
SCHEMES: tuple[str, ...] = (
    "centralized",
    "local",
    "shared_balancing",
    "common",
    "integrated",
    "fragmented",
    "multi_level",
    "distributed",
    "envelope",
    "tso_first_dso_validation",
)

SchemeName = Literal[
    "centralized",
    "local",
    "shared_balancing",
    "common",
    "integrated",
    "fragmented",
    "multi_level",
    "distributed",
    "envelope",
    "tso_first_dso_validation",
]

#: Which schemes take each parameter (shared contract; ``None`` = every scheme).
PARAM_SCHEMES: dict[str, tuple[str, ...] | None] = {
    "variant": ("common",),
    "interface_offer": ("local", "multi_level"),
    "priority": ("local", "common", "integrated"),
    "operator": None,
    "envelope_rule": ("envelope",),
    "dso_static_limits": ("centralized",),
    "residual_to_tso": ("local",),
    "schedule_exchange": ("fragmented",),
    "local_congestion_management": ("centralized",),
}


class CatalogueError(TdcoordError, ValueError):
    """A bad catalogue file or entry, or an unknown model id."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Params(_Strict):
    """Scheme parameters (keys of the shared contract only; unset keys take scheme defaults)."""

    variant: Literal["centralized", "decentralized"] | None = None
    interface_offer: Literal["pass_through", "aggregated"] | None = None
    priority: Literal["dso", "tso"] | None = None
    operator: Literal["incumbent", "independent", "single_platform"] | None = None
    envelope_rule: Literal["equal", "proportional", "max_total"] | None = None
    dso_static_limits: bool | None = None
    residual_to_tso: bool | None = None
    schedule_exchange: bool | None = None
    local_congestion_management: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """The keys that are set."""
        return self.model_dump(exclude_none=True)


class Source(_Strict):
    """Where the model is named: seed file and section (and paragraph/figure)."""

    seed: str = Field(min_length=1)
    section: str = Field(min_length=1)


class Attribute(_Strict):
    """One qualitative attribute: level, whether the seed states it, and why."""

    level: Literal["low", "medium", "high"]
    basis: Literal["seed", "inferred"]
    why: str = Field(min_length=1)


class Attributes(_Strict):
    """The qualitative attributes the sources assess."""

    neutrality: Attribute
    transparency: Attribute
    implementation_complexity: Attribute


class ModelEntry(_Strict):
    """One named coordination model."""

    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    source: Source
    description: str = Field(min_length=1)
    scheme: SchemeName
    params: Params = Field(default_factory=Params)
    reading: str = Field(min_length=1)
    attributes: Attributes
    equivalent_to: tuple[str, ...] = ()
    equivalence_reason: str | None = None

    @model_validator(mode="after")
    def _equivalence_is_declared(self) -> ModelEntry:
        if self.id in self.equivalent_to:
            raise ValueError(f"equivalent_to of {self.id!r} names the model itself")
        if len(set(self.equivalent_to)) != len(self.equivalent_to):
            raise ValueError("equivalent_to names a model twice")
        reason = (self.equivalence_reason or "").strip()
        if self.equivalent_to and (not reason or "\n" in reason):
            raise ValueError("equivalent_to needs a one-line equivalence_reason")
        if reason and not self.equivalent_to:
            raise ValueError("equivalence_reason is given but equivalent_to is empty")
        return self

    @model_validator(mode="after")
    def _params_fit_scheme(self) -> ModelEntry:
        for key in self.params.as_dict():
            allowed = PARAM_SCHEMES[key]
            if allowed is not None and self.scheme not in allowed:
                raise ValueError(
                    f"parameter {key!r} does not apply to scheme {self.scheme!r} "
                    f"(only to {', '.join(allowed)})"
                )
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON form: id, name, region, scheme, params, source, description, reading, attributes,
        equivalent_to (list of ids, possibly empty), equivalence_reason (or None)."""
        return {
            "id": self.id,
            "name": self.name,
            "region": self.region,
            "scheme": self.scheme,
            "params": self.params.as_dict(),
            "source": self.source.model_dump(),
            "description": self.description,
            "reading": self.reading,
            "attributes": self.attributes.model_dump(),
            "equivalent_to": list(self.equivalent_to),
            "equivalence_reason": self.equivalence_reason,
        }


def check_equivalences(entries: dict[str, ModelEntry]) -> None:
    """Declared equivalences name existing models and are symmetric: ``b`` in
    ``a.equivalent_to`` ⇔ ``a`` in ``b.equivalent_to`` (so a group lists every other member)."""
    for e in entries.values():
        for other in e.equivalent_to:
            if other not in entries:
                raise CatalogueError(
                    f"model {e.id!r} is declared equivalent to unknown model {other!r}",
                    where=f"catalogue, model {e.id}, field 'equivalent_to'",
                    fix="name catalogue ids (see `tdcoord models`)",
                )
            if e.id not in entries[other].equivalent_to:
                raise CatalogueError(
                    f"equivalence is not symmetric: {e.id!r} names {other!r} but {other!r} does "
                    f"not name {e.id!r}",
                    where=f"catalogue, model {other}, field 'equivalent_to'",
                    fix=f"add {e.id!r} to the equivalent_to of {other!r} (with the same reason)",
                )


class Catalogue:
    """An ordered, id-indexed set of :class:`ModelEntry`."""

    def __init__(self, entries: Iterable[ModelEntry]) -> None:
        self._entries: dict[str, ModelEntry] = {}
        for entry in entries:
            if entry.id in self._entries:
                raise CatalogueError(
                    f"model id {entry.id!r} appears twice",
                    where="catalogue",
                    fix="give every model its own id (user files may not reuse built-in ids)",
                )
            self._entries[entry.id] = entry
        check_equivalences(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._entries

    @property
    def ids(self) -> tuple[str, ...]:
        """Model ids in catalogue order."""
        return tuple(self._entries)

    def list(self) -> tuple[ModelEntry, ...]:
        """Every entry, in catalogue order."""
        return tuple(self._entries.values())

    def get(self, model_id: str) -> ModelEntry:
        """The entry of ``model_id``; an unknown id raises with the closest matches."""
        try:
            return self._entries[model_id]
        except KeyError:
            close = difflib.get_close_matches(model_id, list(self._entries), n=5, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}?" if close else "see `tdcoord models`"
            raise CatalogueError(
                f"unknown model id {model_id!r}",
                where="coordination catalogue",
                fix=hint,
            ) from None

    def for_scheme(self, scheme: str) -> tuple[ModelEntry, ...]:
        """Entries implemented by ``scheme`` (an unknown scheme name raises)."""
        if scheme not in SCHEMES:
            close = difflib.get_close_matches(scheme, SCHEMES, n=3, cutoff=0.5)
            raise CatalogueError(
                f"unknown scheme {scheme!r}",
                where="models_for_scheme",
                fix=f"use one of {', '.join(SCHEMES)}"
                + (f" (closest: {', '.join(close)})" if close else ""),
            )
        return tuple(e for e in self._entries.values() if e.scheme == scheme)

    def merged(self, other: Catalogue) -> Catalogue:
        """This catalogue followed by ``other`` (ids must not clash)."""
        return Catalogue([*self.list(), *other.list()])


def _issue(err: Any, data: list[Any], origin: str) -> Issue:
    loc = [str(p) for p in err["loc"]]
    index = int(loc[0]) if loc and loc[0].isdigit() else None
    model_id = "?"
    if index is not None and isinstance(data[index], dict):
        model_id = str(data[index].get("id", f"entry {index}"))
    field = ".".join(loc[1:]) or "entry"
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r}"
        if len(loc) >= 3 and loc[1] == "params":
            msg += f" (parameters: {', '.join(PARAM_SCHEMES)})"
    elif err["type"] == "literal_error" and loc[1:] == ["scheme"]:
        msg = f"unknown scheme {err.get('input')!r} (schemes: {', '.join(SCHEMES)})"
    return Issue(
        f"{origin}, model {model_id}",
        f"{msg} in field {field!r}",
        "see docs/models.md for the entry format, the schemes and their parameters",
    )


def _format_error(exc: ValidationError, data: list[Any], origin: str) -> CatalogueError:
    """One error listing every problem of the file (the first one's text when alone)."""
    issues = [_issue(err, data, origin) for err in exc.errors()]
    first = issues[0]
    if len(issues) == 1:
        return CatalogueError(first.what, where=first.where, fix=first.fix)
    return CatalogueError(
        f"invalid catalogue {origin}", where=first.where, fix=first.fix, issues=issues
    )


def parse_catalogue(data: Any, origin: str) -> Catalogue:
    """Validate parsed YAML (a list of entries, or ``{models: [...]}``) into a catalogue."""
    if isinstance(data, dict) and "models" in data:
        data = data["models"]
    if not isinstance(data, list):
        raise CatalogueError(
            "a catalogue file must hold a list of models (or a mapping with key 'models')",
            where=origin,
            fix="start the file with '- id: my.model' entries",
        )
    from pydantic import TypeAdapter

    try:
        entries = TypeAdapter(list[ModelEntry]).validate_python(data)
    except ValidationError as exc:
        raise _format_error(exc, data, origin) from None
    return Catalogue(entries)


@lru_cache(maxsize=1)
def _builtin() -> Catalogue:
    text = resources.files("tdcoord.coordination").joinpath("catalogue.yaml").read_text("utf-8")
    return parse_catalogue(yaml.safe_load(text), "tdcoord/coordination/catalogue.yaml")


def load_catalogue(path: str | Path | None = None, *, include_builtin: bool = True) -> Catalogue:
    """The built-in catalogue, plus (or only, ``include_builtin=False``) the models of ``path``."""
    if path is None:
        return _builtin()
    p = Path(path)
    if not p.is_file():
        raise CatalogueError(
            f"catalogue file {str(p)!r} not found", where="load_catalogue", fix="check the path"
        )
    from tdcoord.errors import raise_issues
    from tdcoord.yaml_input import load_yaml_file

    data, duplicates = load_yaml_file(p, CatalogueError, "catalogue file")
    raise_issues(CatalogueError, str(p), duplicates)
    user = parse_catalogue(data, str(p))
    return _builtin().merged(user) if include_builtin else user


def list_models(catalogue: Catalogue | None = None) -> tuple[ModelEntry, ...]:
    """Every model of the (built-in) catalogue, in order."""
    return (catalogue if catalogue is not None else _builtin()).list()


def get_model(model_id: str, catalogue: Catalogue | None = None) -> ModelEntry:
    """One model by id (unknown id → :class:`CatalogueError` listing close matches)."""
    return (catalogue if catalogue is not None else _builtin()).get(model_id)


def models_for_scheme(scheme: str, catalogue: Catalogue | None = None) -> tuple[ModelEntry, ...]:
    """The models a canonical scheme implements."""
    return (catalogue if catalogue is not None else _builtin()).for_scheme(scheme)
