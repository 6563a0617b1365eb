"""The CRD generator: crds/ matches the models (`--check`), drift is reported as a diff, output
is deterministic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ecs_operator.api import crdgen

ROOT = Path(__file__).resolve().parents[3]
CRDS = ROOT / "crds"


def test_crds_directory_matches_the_models() -> None:
    """Fails when someone changed a model without running `python -m ecs_operator.api.crdgen`."""
    diff = crdgen.drift(CRDS)
    assert diff == "", f"crds/ is out of date; run `python -m ecs_operator.api.crdgen`:\n{diff}"


def test_check_command_passes_on_the_repository() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "ecs_operator.api.crdgen", "--check", "--output-dir", str(CRDS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_check_fails_with_a_diff_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert crdgen.main(["--output-dir", str(tmp_path)]) == 0
    assert crdgen.main(["--check", "--output-dir", str(tmp_path)]) == 0
    target = tmp_path / "ecstasks.ecs-operator.dev.yaml"
    target.write_text(target.read_text().replace("maxItems: 5", "maxItems: 6"))
    capsys.readouterr()
    assert crdgen.main(["--check", "--output-dir", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "-                maxItems: 6" in out.out
    assert "+                maxItems: 5" in out.out
    assert "out of date" in out.err


def test_check_fails_on_missing_and_stale_files(tmp_path: Path) -> None:
    crdgen.write(tmp_path)
    (tmp_path / "ecsservices.ecs-operator.dev.yaml").unlink()
    (tmp_path / "capacityproviders.ecs-operator.dev.yaml").write_text("stale\n")
    diff = crdgen.drift(tmp_path)
    assert "ecsservices.ecs-operator.dev.yaml (from the models)" in diff
    assert "capacityproviders.ecs-operator.dev.yaml (on disk)" in diff


def test_output_is_deterministic(tmp_path: Path) -> None:
    assert crdgen.rendered() == crdgen.rendered()
    assert len(crdgen.write(tmp_path)) == 7
    assert crdgen.write(tmp_path) == []  # nothing rewritten when nothing changed
