"""The validating admission webhook: what CEL cannot check, refused at `kubectl apply`.

Why a webhook on top of CEL and the status report: CEL sees the shape of a `memberOf` expression
or a `cron()`, not whether it parses (that needs the query and schedule parsers, in Python). The
webhook asks the same pure checks the handlers use (`reconcile.validation`), so a refusal at
admission and the backstop in status say the same words at the same field path.

Why it can never wedge anything:

- `failurePolicy: Ignore` and a short timeout: a stopped, slow or unreachable operator lets every
  request through; the handlers then report the problem in status and a Warning Event.
- Ratcheting, as Kubernetes does for CRD validation: an update is refused only for problems the
  old object did not have, so an object admitted while the webhook was down can still be scaled,
  edited elsewhere, have its finalizer removed, or be deleted.
- Only CREATE and UPDATE of the main resource are checked: status writes (a subresource) and
  deletes never reach it.

Imported only when `ecs-operator run` is given `--webhook-port` (see `enable`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import kopf

from ecs_operator.kube import webhooks as kwebhooks
from ecs_operator.names import GROUP, VERSION
from ecs_operator.reconcile.validation import spec_problems, summary

WEBHOOK_ID = "validate-spec"
KINDS = {
    "ecstasks": "EcsTask",
    "ecsservices": "EcsService",
    "ecstaskdefinitions": "EcsTaskDefinition",
    "scheduledtasks": "ScheduledTask",
}


@dataclass(frozen=True)
class WebhookOptions:
    """How the webhook server listens and how the API server reaches it (`ecs-operator run`)."""

    port: int
    host: str  # the address the API server calls (and the certificate names)
    listen: str  # the address the server binds
    certfile: str
    pkeyfile: str
    configuration: str  # the ValidatingWebhookConfiguration to keep up to date ("" = someone else's)
    timeout: int


_OPTIONS: list[WebhookOptions] = []


def enable(options: WebhookOptions) -> None:
    """Serve the webhook with `options` (call before the operator starts)."""
    _OPTIONS[:] = [options]


def refusal(kind: str, new: Any, old: Any) -> str | None:
    """The message to refuse with, or None: only problems the old object did not have count."""
    problems = spec_problems(kind, (new or {}).get("spec"))
    if old is not None and problems:
        before = {str(p) for p in spec_problems(kind, old.get("spec"))}
        problems = [p for p in problems if str(p) not in before]
    return summary(problems) if problems else None


def validate_spec(body: kopf.Body, **kwargs: Any) -> None:
    """Kopf passes `old` (None on CREATE) and `operation` among its admission kwargs."""
    if kwargs.get("operation") not in ("CREATE", "UPDATE"):
        return
    message = refusal(str(body.get("kind")), body, kwargs.get("old"))
    if message is not None:
        raise kopf.AdmissionError(message, code=422)


for _plural in KINDS:
    kopf.on.validate(
        GROUP,
        VERSION,
        _plural,
        id=WEBHOOK_ID,
        operations=["CREATE", "UPDATE"],
        ignore_failures=True,  # also what Kopf would write, were it to manage the configuration
    )(validate_spec)


class SelfRegisteringServer:
    """Kopf's webhook server, plus the configuration that points the API server at it."""

    def __init__(self, options: WebhookOptions) -> None:
        self.options = options
        self.server = kopf.WebhookServer(
            addr=options.listen,
            port=options.port,
            host=options.host,
            certfile=options.certfile,
            pkeyfile=options.pkeyfile,
        )

    async def __call__(self, fn: Any) -> AsyncIterator[Any]:
        async for client_config in self.server(fn):
            if self.options.configuration:
                config = dict(client_config)
                config["url"] = f"{str(config['url']).rstrip('/')}/{WEBHOOK_ID}"
                body = kwebhooks.configuration(
                    self.options.configuration,
                    config,
                    plurals=sorted(KINDS),
                    webhook=WEBHOOK_ID,
                    timeout=self.options.timeout,
                )
                await asyncio.get_running_loop().run_in_executor(None, kwebhooks.apply, body)
            yield client_config


@kopf.on.startup()
def configure_admission(settings: kopf.OperatorSettings, **_: Any) -> None:
    if _OPTIONS:
        settings.admission.server = SelfRegisteringServer(_OPTIONS[0])
