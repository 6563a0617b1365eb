"""Independent API writes of one step, a bounded number at a time (issue 15).

Why: a write's round trip waits on the API server and, in a busy process, on the GIL after it.
Profiles of the benchmark showed two steps bound by writes made one after the other: a placement
batch's claim writes (one compare-and-swap per instance: the batch's placer spent 95 % of its time
there while every handler thread waited for it), and a service pass's task creates and stops (a
fill's tasks appeared at about 12 a second). Each has its own pool, so neither waits on the other.
A single item stays on the caller's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
G = TypeVar("G")

AT_ONCE = 16


class Fanout:
    """A named pool of `AT_ONCE` threads for one kind of write."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix=name)

    def each(self, fn: Callable[[G], T], items: list[G]) -> list[T | Exception]:
        """`fn` of each item; an error is returned in its item's place."""
        if len(items) <= 1:
            out: list[T | Exception] = []
            for item in items:
                try:
                    out.append(fn(item))
                except Exception as exc:
                    out.append(exc)
            return out
        futures = [self._pool.submit(fn, item) for item in items]
        return [f.exception() or f.result() for f in futures]  # type: ignore[misc]

    def all(self, writes: list[Callable[[], None]]) -> None:
        """Run every write; the first error is raised once all are done (each write is
        idempotent: the next pass makes the ones that failed)."""
        first = next((r for r in self.each(lambda write: write(), writes) if isinstance(r, Exception)), None)
        if first is not None:
            raise first
