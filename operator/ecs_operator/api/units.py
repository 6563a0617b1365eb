"""CPU and memory in ECS's units and in Kubernetes' quantities, converted exactly.

Why this module exists: ECS counts CPU in units (1024 per vCPU) and memory in MiB, and accepts a
few string forms for both; Kubernetes counts CPU in cores (to the millicore) and memory in bytes,
written as quantities (`500m`, `1Gi`, `1e9`). Placement compares the two on every node, so the
conversion is written once, with exact arithmetic (`Fraction`, never `float`), and every rounding
direction is chosen on purpose and said here.

ECS forms (task-level ``cpu``/``memory`` of a task definition or of task overrides)::

    cpu     := DIGITS                   CPU units: "1024", 1024
             | NUMBER " "* "vcpu"       case-insensitive: "1 vCPU", "0.25 vcpu", ".5 VCPU" → ×1024
    memory  := DIGITS                   MiB: "512", 512
             | NUMBER " "* "gb"         case-insensitive: "1GB", "1 GB", "0.5 GB" → ×1024 (ECS's GB is GiB)
    NUMBER  := DIGITS ["." DIGITS] | "." DIGITS

Leading and trailing spaces are ignored. This is the language of `api.common.CPU_PATTERN` and
`MEMORY_PATTERN` (the CRD schema), so what admission lets through always parses here.

The result must be a whole number of units (MiB): "0.1 vCPU" (102.4 units) is refused, as ECS
stores only integers. Ranges (128–196608 units on EC2, the Fargate table) are checked elsewhere.

Kubernetes quantities (apimachinery ``resource.Quantity``)::

    quantity := sign? number suffix?
    number   := DIGITS | DIGITS "." DIGITS? | "." DIGITS
    suffix   := "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"          powers of 1024
              | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E"   powers of 1000
              | ("e" | "E") sign? DIGITS                       powers of 10

Rounding, each in the direction Kubernetes or safety needs:

- quantity → millicores and bytes: **up**, as Kubernetes' ``MilliValue()``/``Value()`` do ("0.1m"
  is 1m to the API server);
- millicores → ECS CPU units and bytes → MiB: **down** (a node offers what it fully has);
  ``round_up=True`` gives the other direction, for subtracting what other pods request;
- ECS CPU units → a pod's CPU quantity: **down** to whole millicores, so the requests of the tasks
  placed on a node never add up to more than its allocatable (the claim ledger, not the pod
  request, is what accounts ECS units). 256 → "250m", 1024 → "1", 100 → "97m".
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Final

CPU_UNITS_PER_VCPU: Final = 1024
MIB: Final = 1 << 20

_ECS_TROUBLESHOOTING: Final = (
    "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
)
_ECS_CPU_RE: Final = re.compile(r"(?P<whole>\d+)|(?P<number>\d*\.?\d+) *vcpu", re.IGNORECASE)
_ECS_MEMORY_RE: Final = re.compile(r"(?P<whole>\d+)|(?P<number>\d*\.?\d+) *gb", re.IGNORECASE)

# Kubernetes' own pattern, quoted in its error message (apimachinery ErrFormatWrong).
_K8S_PATTERN_TEXT: Final = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY_RE: Final = re.compile(
    r"(?P<sign>[+-]?)(?P<number>\d+(?:\.\d*)?|\.\d+)(?P<suffix>[A-Za-z]*(?:[+-]?\d+)?)"
)
_EXPONENT_RE: Final = re.compile(r"[eE](?P<exp>[+-]?\d+)")
_SUFFIXES: Final[dict[str, Fraction]] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(1 << 10),
    "Mi": Fraction(1 << 20),
    "Gi": Fraction(1 << 30),
    "Ti": Fraction(1 << 40),
    "Pi": Fraction(1 << 50),
    "Ei": Fraction(1 << 60),
}
# Defensive bound: "1e999999999" must not make the operator compute a billion-digit integer.
# Real quantities stay within 10^±30 (E is 10^18, n is 10^-9).
_MAX_EXPONENT: Final = 100


class UnitError(ValueError):
    """A CPU or memory value that ECS or Kubernetes would refuse; the message is theirs."""


# --------------------------------------------------------------------------- ECS forms


def _ecs_error(field: str, detail: str) -> UnitError:
    return UnitError(f"Invalid '{field}' setting for task. {detail} {_ECS_TROUBLESHOOTING}")


def _parse_ecs(value: int | str, *, field: str, regex: re.Pattern[str], unit_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _ecs_error(field, f"Expected an integer or a string, got {type(value).__name__}.")
    if isinstance(value, int):
        if value < 0:
            raise _ecs_error(field, f"{value} is negative.")
        return value
    match = regex.fullmatch(value.strip(" "))
    if match is None:
        raise _ecs_error(field, f"{value!r} is not a valid value.")
    if match["whole"] is not None:
        return int(match["whole"])
    number = Fraction(match["number"]) * 1024
    if number.denominator != 1:
        raise _ecs_error(field, f"{value!r} is not a whole number of {unit_name}.")
    return int(number)


def parse_ecs_cpu(value: int | str) -> int:
    """Task-level ``cpu`` in ECS form → CPU units: 1024, "1024", "1 vCPU", "0.25 vcpu" → 1024, …, 256."""
    return _parse_ecs(value, field="cpu", regex=_ECS_CPU_RE, unit_name="CPU units (1 vCPU = 1024 units)")


def parse_ecs_memory(value: int | str) -> int:
    """Task-level ``memory`` in ECS form → MiB: 512, "512", "1 GB", "1GB", "0.5 GB" → 512, …, 512."""
    return _parse_ecs(value, field="memory", regex=_ECS_MEMORY_RE, unit_name="MiB (1 GB = 1024 MiB)")


# --------------------------------------------------------------------------- Kubernetes quantities


def _format_error(value: object) -> UnitError:
    return UnitError(
        f"Invalid value: \"{value}\": quantities must match the regular expression '{_K8S_PATTERN_TEXT}'"
    )


def parse_quantity(value: str | int) -> Fraction:
    """A Kubernetes quantity as an exact number: "1.5Gi" → 1610612736, "500m" → 1/2, "1e3" → 1000.

    Stricter than apimachinery in one corner only: a number needs a digit ("." alone is refused).
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _format_error(value)
    if isinstance(value, int):
        return Fraction(value)
    match = _QUANTITY_RE.fullmatch(value)
    if match is None:
        raise _format_error(value)
    suffix = match["suffix"]
    if suffix in _SUFFIXES:
        scale = _SUFFIXES[suffix]
    elif (exp := _EXPONENT_RE.fullmatch(suffix)) is not None:
        exponent = int(exp["exp"])
        if abs(exponent) > _MAX_EXPONENT:
            raise UnitError(f'Invalid value: "{value}": exponent out of range')
        scale = Fraction(10) ** exponent
    elif re.fullmatch(r"[eEinumkKMGTP]*[+-]?\d*", suffix):
        raise UnitError(f'Invalid value: "{value}": unable to parse quantity\'s suffix')
    else:
        raise _format_error(value)
    number = Fraction(match["number"].rstrip(".")) * scale
    return -number if match["sign"] == "-" else number


def _non_negative(value: str | int) -> Fraction:
    quantity = parse_quantity(value)
    if quantity < 0:
        raise UnitError(f'Invalid value: "{value}": must be greater than or equal to 0')
    return quantity


def cpu_quantity_to_millicores(value: str | int) -> int:
    """CPU cores → whole millicores, rounded up as Kubernetes does: "500m" → 500, "1.5" → 1500."""
    return math.ceil(_non_negative(value) * 1000)


def cpu_quantity_to_units(value: str | int, *, round_up: bool = False) -> int:
    """CPU cores → ECS CPU units (cores × 1024), rounded down unless ``round_up``: "500m" → 512."""
    units = Fraction(cpu_quantity_to_millicores(value) * CPU_UNITS_PER_VCPU, 1000)
    return math.ceil(units) if round_up else math.floor(units)


def memory_quantity_to_bytes(value: str | int) -> int:
    """Memory → whole bytes, rounded up as Kubernetes does: "1Gi" → 1073741824, "129M" → 129000000."""
    return math.ceil(_non_negative(value))


def memory_quantity_to_mib(value: str | int, *, round_up: bool = False) -> int:
    """Memory → MiB, rounded down unless ``round_up``: "1Gi" → 1024, "1G" → 953."""
    mib = Fraction(memory_quantity_to_bytes(value), MIB)
    return math.ceil(mib) if round_up else math.floor(mib)


def units_to_cpu_quantity(units: int) -> str:
    """ECS CPU units → a pod's CPU quantity in Kubernetes' canonical form: 256 → "250m", 2048 → "2"."""
    if units < 0:
        raise UnitError(f"CPU units must be greater than or equal to 0, got {units}")
    millis = units * 1000 // CPU_UNITS_PER_VCPU
    if millis % 1000:
        return f"{millis}m"
    cores = millis // 1000
    for suffix in ("", "k", "M"):
        if cores % 1000 or cores == 0:
            return f"{cores}{suffix}"
        cores //= 1000
    return f"{cores}G"


def mib_to_memory_quantity(mib: int) -> str:
    """MiB → a memory quantity in Kubernetes' canonical form: 512 → "512Mi", 2048 → "2Gi", 0 → "0"."""
    if mib < 0:
        raise UnitError(f"memory must be greater than or equal to 0 MiB, got {mib}")
    if mib == 0:
        return "0"
    for suffix in ("Mi", "Gi", "Ti", "Pi"):
        if mib % 1024:
            return f"{mib}{suffix}"
        mib //= 1024
    return f"{mib}Ei"
