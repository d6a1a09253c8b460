"""Distributed energy resources: vectorised physical models, registry, prequalification.

Sign convention everywhere: ``p_mw > 0`` injection, ``< 0`` consumption; up-flexibility raises
``p_mw``. See :mod:`tdcoord.der.base`.
"""

from tdcoord.der.base import DerModel, Flexibility, run_activations
from tdcoord.der.battery import Battery
from tdcoord.der.chp import Chp
from tdcoord.der.errors import DerError, RegistryError
from tdcoord.der.ev import EvCharger
from tdcoord.der.flexible_load import FlexibleLoad
from tdcoord.der.heat_pump import HeatPump
from tdcoord.der.pv import Pv
from tdcoord.der.wind import Wind

#: Registry of DER types, name → class (selectable by name in a study file).
DER_TYPES: dict[str, type] = {
    "pv": Pv,
    "wind": Wind,
    "battery": Battery,
    "ev": EvCharger,
    "flexible_load": FlexibleLoad,
    "heat_pump": HeatPump,
    "chp": Chp,
}

__all__ = [
    "DER_TYPES",
    "Battery",
    "Chp",
    "DerError",
    "DerModel",
    "EvCharger",
    "Flexibility",
    "FlexibleLoad",
    "HeatPump",
    "Pv",
    "RegistryError",
    "Wind",
    "run_activations",
]
