"""The example corpus under tests/data: the integration tests apply it to a real kube-apiserver;
here, only what can be checked without one (and that the models agree with the schema)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from ecs_operator import api

DATA = Path(__file__).resolve().parents[2] / "data"
INVALID = sorted(DATA.glob("invalid/*/*.yaml"))
TRANSITIONS = sorted(DATA.glob("invalid-transitions/*/*.yaml"))
KIND_DIRS = {info.kind.lower(): info for info in api.ALL_KINDS}
# Errors of the OpenAPI schema itself (not CEL): the models must refuse these documents too.
SCHEMA_ERRORS = re.compile(
    r"Unsupported value|Too many|Too long|in body should|unknown field|Required value$"
)


def expectations(path: Path) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for line in path.read_text().splitlines()
        if line.startswith("# expect:")
    ]


@pytest.mark.parametrize("kind", sorted(KIND_DIRS))
def test_every_kind_has_invalid_examples(kind: str) -> None:
    assert len(list((DATA / "invalid" / kind).glob("*.yaml"))) >= 5


@pytest.mark.parametrize("path", INVALID + TRANSITIONS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_invalid_example_names_its_error_and_field(path: Path) -> None:
    [expect] = expectations(path)
    assert re.search(r"(spec|metadata)[.\w\[\]]*: |unknown field \"spec\.|Invalid value: ", expect), expect
    docs = list(yaml.safe_load_all(path.read_text()))
    assert all(d["kind"] == KIND_DIRS[path.parent.name].kind for d in docs)
    assert all(d["apiVersion"] == api.API_VERSION for d in docs)
    assert len(docs) == (2 if path in TRANSITIONS else 1)


@pytest.mark.parametrize(
    "path",
    [p for p in INVALID if SCHEMA_ERRORS.search(expectations(p)[0])],
    ids=lambda p: f"{p.parent.name}-{p.stem}",
)
def test_models_refuse_what_the_schema_refuses(path: Path) -> None:
    info = KIND_DIRS[path.parent.name]
    with pytest.raises(ValidationError):
        info.resource.from_body(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("path", TRANSITIONS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_transition_examples_start_from_a_valid_object(path: Path) -> None:
    info = KIND_DIRS[path.parent.name]
    first, second = yaml.safe_load_all(path.read_text())
    info.resource.from_body(first)
    info.resource.from_body(second)  # only the change is refused, by a transition rule
