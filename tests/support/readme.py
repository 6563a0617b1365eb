"""The README's blocks of facts, for tests that check them against what they describe."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(title: str) -> list[str]:
    """The words of the README's ```text block after the line that starts with `title`."""
    match = re.search(rf"^{re.escape(title)}.*?\n```text\n(.*?)```", README.read_text(), re.M | re.S)
    assert match, f"the README has no block after {title!r}"
    return match.group(1).split()
