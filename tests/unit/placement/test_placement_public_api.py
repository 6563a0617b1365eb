"""The package's public surface: the docstring example runs, and the core stays pure."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
import textwrap
from typing import Any

import ecs_operator.placement as placement


def instance_object(node: str, zone: str, memory: int) -> dict[str, Any]:
    return {
        "metadata": {"name": f"prod.{node}"},
        "spec": {"cluster": "prod", "nodeName": node},
        "status": {
            "status": "ACTIVE",
            "agentConnected": True,
            "attributes": [
                {"name": "ecs.availability-zone", "value": zone},
                {"name": "ecs.instance-type", "value": "m5.large"},
            ],
            "registeredResources": {"cpu": 4096, "memory": memory, "ports": [22]},
        },
    }


def test_the_module_docstring_example_runs() -> None:
    doc = placement.__doc__ or ""
    block = re.search(r"::\n\n((?:    .*\n|\n)+)", doc)
    assert block is not None
    code = textwrap.dedent(block.group(1))
    objects = [instance_object("a1", "zone-a", 1024), instance_object("b1", "zone-b", 1024)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, {"objects": objects})
    assert out.getvalue().splitlines() == [
        "prod.a1 512 1024",
        "prod.b1 512 1024",
        "TaskFailedToStart: RESOURCE:MEMORY",
        "RESOURCE:MEMORY 2 container instances: prod.a1 (needs 1024 MiB, 0 MiB remaining); "
        "prod.b1 (needs 1024 MiB, 0 MiB remaining)",
        "service batch was unable to place a task because no container instance met all of its requirements. "
        "The closest matching container-instance prod.a1 has insufficient memory available. "
        "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
    ]


def test_everything_exported_exists() -> None:
    assert sorted(placement.__all__) == sorted(set(placement.__all__))
    for name in placement.__all__:
        assert hasattr(placement, name), name


def test_the_engine_imports_neither_kopf_nor_kubernetes_nor_prometheus() -> None:
    code = (
        "import sys, ecs_operator.placement\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('kopf', 'kubernetes', 'prometheus_client')]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
