"""Creates from the event loop with aiohttp: many requests at one instant, none waiting for a thread.

Everything else writes through the official client in Kopf's thread pool; this is the one place
where a burst of creates must leave at once (a scheduled-task fire), see `AsyncCreator`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time

import aiohttp

from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import Invalid, KubeError

IDLE_CLOSE = 90.0  # seconds: kube-apiserver closes an idle HTTP/1.1 connection after this


def _auth() -> dict[str, str]:
    """The Authorization header, as the official client sends it (and refreshes a token)."""
    bearer = clients().api.configuration.auth_settings().get("BearerToken")
    return {"Authorization": str(bearer["value"])} if bearer and bearer.get("value") else {}


class AsyncCreator:
    """Creates objects of one resource with aiohttp, in the event loop, with the credentials of
    `kube.client` (the scheduled tasks' EcsTasks at a fire time).

    Why not `kube.objects.create` in the thread pool, like every other write: at a fire time a
    thousand creates must reach the API server at once, while the same process starts handling
    the tasks already created (Kopf's event processing in the loop, the task handlers in 32
    threads). Blocking calls in threads then wait for the GIL at every socket operation, and the
    last creates trailed by 18 s (p99, 1,000 schedules, bench/scheduled_bench.py). From the loop,
    with one connection per request in flight (aiohttp has no HTTP/2), every request is on the
    wire within a few hundred milliseconds and the lag is the API server's own (p99 1–2 s, the
    same as 1,000 creates from an idle client). Connections stay open 150 s, so per-minute fires
    do no TLS handshakes; up to `connections` are opened, only as many as requests in flight.

    The API server closes a connection idle for 90 s, so schedules firing less often than that
    (hourly, daily) find none open: `warm` opens them ahead of the burst. A thousand TLS handshakes
    at the fire time added 2 s to every create (bench/scheduled_bench.py, first fire).
    """

    def __init__(self, prefix: str, plural: str, connections: int = 1000) -> None:
        self.prefix, self.plural, self.connections = prefix, plural, connections
        self.session: aiohttp.ClientSession | None = None
        self.used = -IDLE_CLOSE  # monotonic time of the last create: connections open since?

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            cfg = clients().api.configuration
            context = ssl.create_default_context(cafile=cfg.ssl_ca_cert)
            if cfg.cert_file:
                context.load_cert_chain(cfg.cert_file, cfg.key_file)
            if not cfg.verify_ssl:
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            # Keep connections across per-minute fires: no TLS handshakes in the burst.
            connector = aiohttp.TCPConnector(ssl=context, limit=self.connections, keepalive_timeout=150)
            self.session = aiohttp.ClientSession(
                base_url=cfg.host, connector=connector, timeout=aiohttp.ClientTimeout(total=30)
            )
        return self.session

    async def create(self, namespace: str, payload: bytes) -> bool:
        """Create the object serialized in `payload`. True: created; False: it existed already
        (for a scheduled task: launched before, by us, a restart or a peer)."""
        self.used = time.monotonic()
        url = f"{self.prefix}/namespaces/{namespace}/{self.plural}"
        try:
            headers = {"Content-Type": "application/json", **_auth()}
            async with self._session().post(url, data=payload, headers=headers) as response:
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KubeError(f"POST {url}: {exc!r}") from exc
        if response.status < 300:
            return True
        if response.status == 409 and "AlreadyExists" in text:
            return False
        if response.status in (400, 422):
            raise Invalid(f"{response.status}: {text[:2000]}", response.status)
        raise KubeError(f"{response.status}: {text[:2000]}", response.status)

    async def warm(self, count: int) -> None:
        """Before a burst of `count` creates: if the connections may have been closed meanwhile,
        open `count` of them with cheap requests (concurrent requests each take a connection,
        an idle one if there is one). Callers of one burst warm at once; errors are left to the
        creates."""
        if time.monotonic() - self.used < IDLE_CLOSE - 30:
            return
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            await asyncio.gather(*(self._ping() for _ in range(count)))

    async def _ping(self) -> None:
        async with self._session().get("/version", headers=_auth()) as response:
            await response.read()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
