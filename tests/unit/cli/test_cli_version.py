"""`ecs-operator --version` names the installed distribution's version, the one pyproject.toml sets."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ecs_operator.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[3]


def test_version_is_the_projects(capsys: pytest.CaptureFixture[str]) -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"ecs-operator {expected}\n"
