"""Per-access-key request rate limits (pure: the clock is injected).

A token bucket per key: `rate` requests per second on average, bursts of `burst`. A request over
the limit is refused with ECS's ``ThrottlingException`` ("Rate exceeded"), which the SDKs retry
with backoff; it is refused before any Kubernetes call, so a busy client cannot load the API
server through this one. Keys are counted after their signature is verified: an unsigned flood
cannot use up someone else's budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ecs_operator.ecsapi.errors import ApiError


@dataclass
class RateLimiter:
    rate: float  # requests per second per key; 0 turns limiting off
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key → (tokens, at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> None:
        """Spend one token of `key`'s bucket, or raise ThrottlingException."""
        if self.rate <= 0:
            return
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                raise ApiError("ThrottlingException", "Rate exceeded")
            self._buckets[key] = (tokens - 1, now)
