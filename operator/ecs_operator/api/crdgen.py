"""Generate crds/ from the models: `python -m ecs_operator.api.crdgen [--check] [--output-dir DIR]`.

Why generated: the models are the single source of the API; the CRDs (schemas, CEL rules,
printer columns, short names) are derived from them, and `--check` (run by the unit tests and
CI) fails with a diff whenever crds/ and the models drift apart. Output is deterministic: same
models, same bytes.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ecs_operator.api.kinds import ALL_KINDS
from ecs_operator.api.meta import API_VERSION, CATEGORY, GROUP, VERSION, KindInfo
from ecs_operator.api.structural import Schema, structural

HEADER = (
    "# Generated from the models in operator/ecs_operator/api by `python -m ecs_operator.api.crdgen`.\n"
    "# Do not edit: change the models and regenerate.\n"
)
SUFFIX = f".{GROUP}.yaml"


def openapi_schema(info: KindInfo) -> Schema:
    """The whole object's schema: apiVersion, kind, metadata (left to Kubernetes), spec, status."""
    spec = structural(info.spec, "spec")
    spec["description"] = f"Desired state of the {info.kind}."
    status = structural(info.status, "status")
    status["description"] = f"Observed state of the {info.kind}, written by the operator."
    root: Schema = {
        "description": info.description,
        "type": "object",
        "properties": {
            "apiVersion": {"description": f"{API_VERSION}.", "type": "string"},
            "kind": {"description": f"{info.kind}.", "type": "string"},
            "metadata": {"type": "object"},
            "spec": _ordered(spec),
            "status": _ordered(status),
        },
    }
    if info.spec_required:
        root["required"] = ["spec"]
    if info.root_validations:
        root["x-kubernetes-validations"] = [dict(r) for r in info.root_validations]
    return root


def _ordered(schema: Schema) -> Schema:
    return {"description": schema["description"], **{k: v for k, v in schema.items() if k != "description"}}


def crd(info: KindInfo) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind."""
    version: dict[str, Any] = {
        "name": VERSION,
        "served": True,
        "storage": True,
        "subresources": {"status": {}},
        "additionalPrinterColumns": [column.to_crd() for column in info.columns],
        "schema": {"openAPIV3Schema": openapi_schema(info)},
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": info.crd_name, "labels": {"app.kubernetes.io/part-of": "ecs-operator"}},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": info.kind,
                "listKind": info.list_kind,
                "plural": info.plural,
                "singular": info.singular,
                "shortNames": list(info.short_names),
                "categories": [CATEGORY],
            },
            "scope": info.scope,
            "versions": [version],
        },
    }


def render(info: KindInfo) -> str:
    body = yaml.safe_dump(crd(info), sort_keys=False, default_flow_style=False, width=100, allow_unicode=True)
    return HEADER + body


def rendered() -> dict[str, str]:
    """File name -> content, for every kind."""
    return {f"{info.plural}{SUFFIX}": render(info) for info in ALL_KINDS}


def default_output_dir() -> Path:
    """The repository's crds/ when running from a checkout, else ./crds."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file():
        return root / "crds"
    return Path.cwd() / "crds"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def drift(directory: Path) -> str:
    """A unified diff between crds/ and the models; empty when they agree."""
    expected = rendered()
    chunks: list[str] = []
    for name, text in expected.items():
        path = directory / name
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            chunks.extend(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{path} (on disk)",
                    tofile=f"{path} (from the models)",
                )
            )
    if directory.is_dir():
        for stale in sorted(directory.glob(f"*{SUFFIX}")):
            if stale.name not in expected:
                chunks.append(f"--- {stale} (on disk)\n+++ /dev/null (no such kind in the models)\n")
    return "".join(chunks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecs_operator.api.crdgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail with a diff if crds/ is out of date")
    parser.add_argument("--output-dir", type=Path, default=None, help="default: the repository's crds/")
    args = parser.parse_args(argv)
    directory: Path = args.output_dir or default_output_dir()
    if args.check:
        diff = drift(directory)
        if diff:
            sys.stdout.write(diff)
            print(f"\n{directory} is out of date: run `python -m ecs_operator.api.crdgen`.", file=sys.stderr)
            return 1
        return 0
    for path in write(directory):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
