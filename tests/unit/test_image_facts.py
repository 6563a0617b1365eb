"""The README's list of the image's Python distributions is what the image installs.

The image installs the package and exactly the pins of deploy/image/constraints.txt (the
integration test test_image.py checks the built image against that file); the README's list, which
users' scanners read, must be the same, versions included.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.support.readme import readme_block

ROOT = Path(__file__).resolve().parents[2]


def test_readme_lists_the_pinned_python_distributions() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    constraints = (ROOT / "deploy" / "image" / "constraints.txt").read_text().splitlines()
    pinned = {line for line in constraints if line and not line.startswith("#")}
    assert set(readme_block("Python distributions in `/opt/ecs-operator`")) == pinned | {
        f"ecs-operator=={version}"
    }
