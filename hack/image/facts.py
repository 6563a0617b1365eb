"""Print the facts of a built image as Markdown for the README's "Container image" section.

Size, layers, user, entrypoint, and what the image contains: its Debian packages and the Python
distributions of its virtual environment, with versions, so that a user's own vulnerability
scanner can check them.

    python3 hack/image/facts.py "$(bash hack/image/build.sh | tail -n 1)"
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BUILDAH = ["bash", str(Path(__file__).resolve().parent / "buildah.sh")]


def buildah(*args: str) -> str:
    return subprocess.run([*BUILDAH, *args], check=True, capture_output=True, text=True).stdout


def columns(lines: list[str], width: int = 100) -> str:
    """Lines in as many columns as fit in width, filled column by column."""
    cell = max(map(len, lines)) + 2
    ncols = max(1, width // cell)
    nrows = -(-len(lines) // ncols)
    rows = [lines[r::nrows] for r in range(nrows)]
    return "\n".join("".join(item.ljust(cell) for item in row).rstrip() for row in rows)


def main(ref: str) -> None:
    oci = json.loads(buildah("inspect", "--type", "image", ref))["OCIv1"]
    config = oci["config"]
    size = buildah("images", "--format", "{{.Size}}", ref).split("\n")[0]
    ctr = buildah("from", "--pull=never", "--quiet", ref).strip()
    try:

        def run(*cmd: str) -> list[str]:
            out = buildah(
                "run", "--isolation", "chroot", "--network", "host", "--user", "0:0", ctr, "--", *cmd
            )
            return sorted(out.splitlines(), key=str.lower)

        debs = run("dpkg-query", "-W", "-f", "${Package} ${Version}\\n")
        dists = run(
            "/opt/ecs-operator/bin/python",
            "-c",
            "import importlib.metadata as m\nfor d in m.distributions(): print(f'{d.name}=={d.version}')",
        )
    finally:
        buildah("rm", ctr)
    ports = ", ".join(sorted(config.get("ExposedPorts", {})))
    # The tag without the key of the inputs: the README is one of them.
    name, _, tag = ref.rpartition(":")
    print(f"- `{name}:{tag.split('-')[0]}`: {size} uncompressed, {len(oci['rootfs']['diff_ids'])} layers")
    print(f"- user `{config['User']}`, entrypoint `{json.dumps(config['Entrypoint'])}`, ports {ports}")
    print(f"\nDebian packages ({len(debs)}):\n\n```text\n{columns(debs)}\n```")
    print(f"\nPython distributions in `/opt/ecs-operator` ({len(dists)}):\n\n```text\n{columns(dists)}\n```")


if __name__ == "__main__":
    main(sys.argv[1])
