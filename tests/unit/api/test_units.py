import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecs_operator.api.common import CPU_PATTERN, MEMORY_PATTERN
from ecs_operator.api.units import (
    UnitError,
    cpu_quantity_to_millicores,
    cpu_quantity_to_units,
    memory_quantity_to_bytes,
    memory_quantity_to_mib,
    mib_to_memory_quantity,
    parse_ecs_cpu,
    parse_ecs_memory,
    parse_quantity,
    units_to_cpu_quantity,
)

TROUBLESHOOTING = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."

# --------------------------------------------------------------------------- ECS forms


@pytest.mark.parametrize(
    ("value", "units"),
    [
        pytest.param(1024, 1024, id="int"),
        pytest.param("1024", 1024, id="string-units"),
        pytest.param(" 256 ", 256, id="surrounding-space"),
        pytest.param("1 vCPU", 1024, id="one-vcpu"),
        pytest.param("1vcpu", 1024, id="no-space-lowercase"),
        pytest.param("2 vCPU", 2048, id="two-vcpu"),
        pytest.param("0.25 vcpu", 256, id="quarter"),
        pytest.param(".5 vCPU", 512, id="leading-dot"),
        pytest.param("0.125 VCPU", 128, id="ec2-minimum"),
        pytest.param("16 vCPU", 16384, id="largest-fargate"),
        pytest.param(0, 0, id="zero"),
    ],
)
def test_parse_ecs_cpu(value: int | str, units: int) -> None:
    assert parse_ecs_cpu(value) == units


@pytest.mark.parametrize(
    ("value", "mib"),
    [
        pytest.param(512, 512, id="int"),
        pytest.param("512", 512, id="string-mib"),
        pytest.param("1 GB", 1024, id="one-gb"),
        pytest.param("2GB", 2048, id="no-space"),
        pytest.param("0.5 GB", 512, id="half-gb"),
        pytest.param("30 gb", 30720, id="lowercase"),
        pytest.param("1.5GB", 1536, id="fractional"),
    ],
)
def test_parse_ecs_memory(value: int | str, mib: int) -> None:
    assert parse_ecs_memory(value) == mib


@pytest.mark.parametrize(
    ("parse", "value", "detail"),
    [
        pytest.param(
            parse_ecs_cpu,
            "0.1 vCPU",
            "'0.1 vCPU' is not a whole number of CPU units (1 vCPU = 1024 units).",
            id="cpu-fraction-of-unit",
        ),
        pytest.param(
            parse_ecs_cpu,
            "512.5",
            "'512.5' is not a valid value.",
            id="cpu-fractional-units",
        ),
        pytest.param(parse_ecs_cpu, "1 GB", "'1 GB' is not a valid value.", id="cpu-with-memory-unit"),
        pytest.param(parse_ecs_cpu, "500m", "'500m' is not a valid value.", id="cpu-kubernetes-quantity"),
        pytest.param(parse_ecs_cpu, "-1", "'-1' is not a valid value.", id="cpu-negative-string"),
        pytest.param(parse_ecs_cpu, -1, "-1 is negative.", id="cpu-negative-int"),
        pytest.param(parse_ecs_cpu, True, "Expected an integer or a string, got bool.", id="cpu-bool"),
        pytest.param(parse_ecs_cpu, 1.5, "Expected an integer or a string, got float.", id="cpu-float"),
        pytest.param(parse_ecs_memory, "1 GiB", "'1 GiB' is not a valid value.", id="memory-gib"),
        pytest.param(parse_ecs_memory, "512 MiB", "'512 MiB' is not a valid value.", id="memory-mib-suffix"),
        pytest.param(
            parse_ecs_memory,
            "0.0001 GB",
            "'0.0001 GB' is not a whole number of MiB (1 GB = 1024 MiB).",
            id="memory-fraction-of-mib",
        ),
        pytest.param(parse_ecs_memory, "", "'' is not a valid value.", id="memory-empty"),
    ],
)
def test_ecs_forms_refused_in_ecs_words(parse: Callable[[Any], int], value: object, detail: str) -> None:
    field = "cpu" if parse is parse_ecs_cpu else "memory"
    with pytest.raises(UnitError) as error:
        parse(value)
    assert str(error.value) == f"Invalid '{field}' setting for task. {detail} {TROUBLESHOOTING}"


@pytest.mark.parametrize(
    ("parse", "pattern"),
    [
        pytest.param(parse_ecs_cpu, CPU_PATTERN, id="cpu"),
        pytest.param(parse_ecs_memory, MEMORY_PATTERN, id="memory"),
    ],
)
@given(text=st.text(alphabet="0123456789. vVcCpPuUgGbB", max_size=10))
def test_what_the_crd_schema_admits_parses(parse: Callable[[str], int], pattern: str, text: str) -> None:
    """The parser speaks the CRD schema's language: only wholeness is checked on top of it."""
    try:
        parse(text)
    except UnitError as error:
        assert ("is not a whole number" in str(error)) is bool(re.fullmatch(pattern, text))
    else:
        assert re.fullmatch(pattern, text)


def test_unit_error_is_a_value_error() -> None:
    assert issubclass(UnitError, ValueError)


# --------------------------------------------------------------------------- Kubernetes quantities


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("0", Fraction(0), id="zero"),
        pytest.param("2", Fraction(2), id="integer"),
        pytest.param("1.5", Fraction(3, 2), id="decimal"),
        pytest.param("500m", Fraction(1, 2), id="milli"),
        pytest.param("100n", Fraction(1, 10**7), id="nano"),
        pytest.param("5u", Fraction(1, 200000), id="micro"),
        pytest.param("1k", Fraction(1000), id="kilo"),
        pytest.param("129M", Fraction(129_000_000), id="mega"),
        pytest.param("1G", Fraction(10**9), id="giga"),
        pytest.param("2T", Fraction(2 * 10**12), id="tera"),
        pytest.param("1P", Fraction(10**15), id="peta"),
        pytest.param("1E", Fraction(10**18), id="exa-not-exponent"),
        pytest.param("123Ki", Fraction(125952), id="kibi"),
        pytest.param("512Mi", Fraction(512 << 20), id="mebi"),
        pytest.param("1Gi", Fraction(1 << 30), id="gibi"),
        pytest.param("1.5Gi", Fraction(1610612736), id="fractional-gibi"),
        pytest.param("1Ti", Fraction(1 << 40), id="tebi"),
        pytest.param("1Pi", Fraction(1 << 50), id="pebi"),
        pytest.param("1Ei", Fraction(1 << 60), id="exbi"),
        pytest.param("1e9", Fraction(10**9), id="exponent"),
        pytest.param("1E3", Fraction(1000), id="exponent-uppercase"),
        pytest.param("12e+2", Fraction(1200), id="exponent-plus"),
        pytest.param("5e-3", Fraction(1, 200), id="exponent-minus"),
        pytest.param("1.5e3", Fraction(1500), id="decimal-exponent"),
        pytest.param("128974848", Fraction(128974848), id="plain-bytes"),
        pytest.param("0.1", Fraction(1, 10), id="no-float-drift"),
        pytest.param(".5", Fraction(1, 2), id="leading-dot"),
        pytest.param("1.", Fraction(1), id="trailing-dot"),
        pytest.param("+1", Fraction(1), id="plus-sign"),
        pytest.param("-1m", Fraction(-1, 1000), id="minus-sign"),
        pytest.param("007", Fraction(7), id="leading-zeros"),
        pytest.param(3, Fraction(3), id="int"),
    ],
)
def test_parse_quantity(text: str | int, value: Fraction) -> None:
    assert parse_quantity(text) == value


PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", f"quantities must match the regular expression '{PATTERN}'", id="empty"),
        pytest.param("abc", f"quantities must match the regular expression '{PATTERN}'", id="letters"),
        pytest.param(".", f"quantities must match the regular expression '{PATTERN}'", id="dot-alone"),
        pytest.param("1 Gi", f"quantities must match the regular expression '{PATTERN}'", id="space"),
        pytest.param("1Zi", f"quantities must match the regular expression '{PATTERN}'", id="unknown-letter"),
        pytest.param("1.2.3", f"quantities must match the regular expression '{PATTERN}'", id="two-dots"),
        pytest.param("1K", "unable to parse quantity's suffix", id="uppercase-kilo"),
        pytest.param("1e", "unable to parse quantity's suffix", id="exponent-without-digits"),
        pytest.param("1mi", "unable to parse quantity's suffix", id="lowercase-binary"),
        pytest.param("1Mi5", "unable to parse quantity's suffix", id="digits-after-suffix"),
        pytest.param("1e101", "exponent out of range", id="huge-exponent"),
    ],
)
def test_parse_quantity_refuses_in_kubernetes_words(text: str, message: str) -> None:
    with pytest.raises(UnitError) as error:
        parse_quantity(text)
    assert str(error.value) == f'Invalid value: "{text}": {message}'


@pytest.mark.parametrize(
    ("text", "millicores", "units"),
    [
        pytest.param("500m", 500, 512, id="half-core"),
        pytest.param("250m", 250, 256, id="quarter-core"),
        pytest.param("2", 2000, 2048, id="two-cores"),
        pytest.param("1.5", 1500, 1536, id="fractional-cores"),
        pytest.param("3920m", 3920, 4014, id="allocatable-floors"),
        pytest.param("100m", 100, 102, id="floor-of-102.4"),
        pytest.param("0.0001", 1, 1, id="sub-milli-rounds-up-like-kubernetes"),
        pytest.param("1e-3", 1, 1, id="exponent-milli"),
        pytest.param("0", 0, 0, id="zero"),
    ],
)
def test_cpu_quantities(text: str, millicores: int, units: int) -> None:
    assert (cpu_quantity_to_millicores(text), cpu_quantity_to_units(text)) == (millicores, units)


def test_cpu_units_can_round_up_for_what_others_request() -> None:
    assert (cpu_quantity_to_units("100m"), cpu_quantity_to_units("100m", round_up=True)) == (102, 103)


@pytest.mark.parametrize(
    ("text", "size", "mib"),
    [
        pytest.param("1Gi", 1 << 30, 1024, id="gibi"),
        pytest.param("512Mi", 512 << 20, 512, id="mebi"),
        pytest.param("1G", 10**9, 953, id="decimal-giga-floors"),
        pytest.param("1e9", 10**9, 953, id="exponent"),
        pytest.param("128974848", 128974848, 123, id="plain-bytes"),
        pytest.param("129M", 129_000_000, 123, id="mega"),
        pytest.param("123Ki", 125952, 0, id="kibi-below-a-mib"),
        pytest.param("0.5", 1, 0, id="half-byte-rounds-up-like-kubernetes"),
        pytest.param("15.5Gi", 16642998272, 15872, id="fractional-gibi"),
    ],
)
def test_memory_quantities(text: str, size: int, mib: int) -> None:
    assert (memory_quantity_to_bytes(text), memory_quantity_to_mib(text)) == (size, mib)


def test_memory_mib_can_round_up_for_what_others_request() -> None:
    assert (memory_quantity_to_mib("1G"), memory_quantity_to_mib("1G", round_up=True)) == (953, 954)


@pytest.mark.parametrize(
    "convert",
    [cpu_quantity_to_millicores, cpu_quantity_to_units, memory_quantity_to_bytes, memory_quantity_to_mib],
)
def test_negative_resources_are_refused(convert: Callable[[str], int]) -> None:
    with pytest.raises(UnitError) as error:
        convert("-1")
    assert str(error.value) == 'Invalid value: "-1": must be greater than or equal to 0'


@pytest.mark.parametrize(
    ("units", "quantity"),
    [
        pytest.param(256, "250m", id="quarter"),
        pytest.param(512, "500m", id="half"),
        pytest.param(1024, "1", id="one-core"),
        pytest.param(2048, "2", id="two-cores"),
        pytest.param(1536, "1500m", id="one-and-a-half"),
        pytest.param(100, "97m", id="rounds-down"),
        pytest.param(1, "0", id="below-a-millicore"),
        pytest.param(0, "0", id="zero"),
        pytest.param(1024000, "1k", id="canonical-kilo"),
    ],
)
def test_units_to_cpu_quantity(units: int, quantity: str) -> None:
    assert units_to_cpu_quantity(units) == quantity


@given(st.integers(min_value=0, max_value=196608))
def test_cpu_quantity_of_units_never_asks_for_more_than_the_units(units: int) -> None:
    """Rounding down: the pod requests at most what the task claimed, and loses less than 1.024 units."""
    back = cpu_quantity_to_units(units_to_cpu_quantity(units))
    assert units - 2 <= back <= units


@pytest.mark.parametrize(
    ("mib", "quantity"),
    [
        pytest.param(512, "512Mi", id="mebi"),
        pytest.param(1536, "1536Mi", id="not-whole-gibi"),
        pytest.param(2048, "2Gi", id="canonical-gibi"),
        pytest.param(1 << 20, "1Ti", id="canonical-tebi"),
        pytest.param(0, "0", id="zero"),
    ],
)
def test_mib_to_memory_quantity(mib: int, quantity: str) -> None:
    assert mib_to_memory_quantity(mib) == quantity
    assert memory_quantity_to_mib(quantity) == mib


@pytest.mark.parametrize("convert", [units_to_cpu_quantity, mib_to_memory_quantity])
def test_negative_ecs_values_have_no_quantity(convert: Callable[[int], str]) -> None:
    with pytest.raises(UnitError):
        convert(-1)
