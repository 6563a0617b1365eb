"""The source root `operator/` must never become a package: it would shadow the stdlib `operator`."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_operator_source_root_is_not_a_package() -> None:
    assert not (ROOT / "operator" / "__init__.py").exists()


def test_stdlib_operator_module_is_not_shadowed() -> None:
    import operator

    assert hasattr(operator, "itemgetter")
    assert not str(getattr(operator, "__file__", "")).startswith(str(ROOT / "operator"))
