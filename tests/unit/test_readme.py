"""The README's Python examples run as written (documentation that drifts is worse than none)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_blocks_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README has no Python example"
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)
        result = namespace.get("result")
        if result is not None:
            assert len(result.placements) == 2  # type: ignore[attr-defined]
