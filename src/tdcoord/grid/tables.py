"""Immutable, array-backed column tables.

A table is a frozen dataclass whose fields are equally long one-dimensional numpy arrays. On
construction each column is converted to its declared dtype and made read-only, so a validated
grid cannot be changed behind the validator's back. Tables convert to and from pandas DataFrames
and to plain JSON-able dictionaries (floats round-trip exactly through ``repr``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.errors import GridError

StrArray = npt.NDArray[np.object_]

_DTYPES: dict[str, Any] = {
    "FloatArray": np.float64,
    "IntArray": np.int64,
    "BoolArray": np.bool_,
    "StrArray": object,
}


def _numeric(raw: Any, dtype: Any, table: str, column: str) -> npt.NDArray[Any]:
    """``raw`` as a flat array of ``dtype``; floats into an integer column must be whole."""
    src = np.asarray(raw)
    if np.dtype(dtype).kind in "iu" and src.dtype.kind == "f":
        bad = ~np.isfinite(src) | (src != np.round(src))
        if bad.any():
            raise GridError(
                f"{table} column {column!r} holds {src[bad].ravel()[0]!r}, not a whole number",
                where=table,
                fix=f"give whole numbers in {column}",
            )
    return np.array(src, dtype=dtype, copy=True).ravel()


@dataclasses.dataclass(frozen=True, eq=False)
class Table:
    """Base class: subclasses declare columns as dataclass fields annotated with an array alias."""

    _dtypes: ClassVar[dict[str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)

    def __post_init__(self) -> None:
        length: int | None = None
        for field in dataclasses.fields(self):
            dtype = _DTYPES[str(field.type)]
            raw = getattr(self, field.name)
            if dtype is object:
                array = np.asarray(
                    [str(v) for v in np.asarray(raw, dtype=object).ravel()], dtype=object
                )
            else:
                array = _numeric(raw, dtype, type(self).__name__, field.name)
            array.flags.writeable = False
            object.__setattr__(self, field.name, array)
            if length is None:
                length = len(array)
            elif len(array) != length:
                raise GridError(
                    f"{type(self).__name__}: column {field.name!r} has {len(array)} rows, "
                    f"expected {length}",
                    where=type(self).__name__,
                    fix="give every column of a table the same number of rows",
                )

    @classmethod
    def columns(cls) -> list[str]:
        """Column names in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    def __len__(self) -> int:
        first = dataclasses.fields(self)[0].name
        return len(getattr(self, first))

    def column(self, name: str) -> npt.NDArray[Any]:
        """A column by name."""
        value: npt.NDArray[Any] = getattr(self, name)
        return value

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame copy (writable) with one column per field."""
        return pd.DataFrame({name: np.array(self.column(name)) for name in self.columns()})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Self:
        """Build from a DataFrame holding (at least) every column of the table."""
        missing = [c for c in cls.columns() if c not in frame.columns]
        if missing:
            raise GridError(
                f"{cls.__name__}: missing columns {missing}",
                where=cls.__name__,
                fix="give every column of the table",
            )
        return cls(**{c: frame[c].to_numpy() for c in cls.columns()})

    def to_dict(self) -> dict[str, list[Any]]:
        """Plain lists per column (JSON-able)."""
        return {name: self.column(name).tolist() for name in self.columns()}

    @classmethod
    def from_dict(cls, data: dict[str, list[Any]]) -> Self:
        """Inverse of :meth:`to_dict`."""
        return cls(**{c: np.asarray(data[c]) for c in cls.columns()})

    @classmethod
    def empty(cls) -> Self:
        """A table with no rows."""
        return cls(**{c: np.empty(0) for c in cls.columns()})

    def take(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.int64] | slice) -> Self:
        """Rows at the given positions (or boolean mask), as a new table."""
        return type(self)(**{c: self.column(c)[index] for c in self.columns()})

    def replace(self, **columns: npt.ArrayLike) -> Self:
        """A copy with some columns replaced."""
        return dataclasses.replace(self, **columns)

    def equals(self, other: object) -> bool:
        """Exact equality of type and every column (NaN equals NaN)."""
        if type(other) is not type(self):
            return False
        assert isinstance(other, Table)
        for name in self.columns():
            a, b = self.column(name), other.column(name)
            if a.shape != b.shape:
                return False
            if a.dtype == np.float64:
                if not np.array_equal(a, b, equal_nan=True):
                    return False
            elif not np.array_equal(a, b):
                return False
        return True
