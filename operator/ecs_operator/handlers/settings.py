"""Operator-wide Kopf settings, applied at startup."""

from __future__ import annotations

from typing import Any

import kopf

from ecs_operator.names import FINALIZER, KOPF_PREFIX


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    # Our handlers run the blocking `kubernetes` client: give Kopf's executor room for many at once.
    settings.execution.max_workers = 32
    # Kubernetes Events carry the ECS-worded messages; keep Kopf's own chatter out of them.
    settings.posting.level = 30  # logging.WARNING
    # Keep Kopf's bookkeeping out of our objects' status (it belongs to the ECS fields).
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=KOPF_PREFIX)
    settings.persistence.finalizer = FINALIZER
    # An object deleted while its timer's (sync) function runs: Kopf checks again for the timer's
    # exit after this many seconds before it lets go of the finalizer (its default, 60 s, held a
    # deleted service that long; bad-input property test).
    settings.background.cancellation_polling = 2
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """Kopf's watches use the same credentials as our client: in-cluster, else $KUBECONFIG.

    `ecs-operator run --kubeconfig` sets $KUBECONFIG before Kopf starts; Kopf's default login via
    the client library would read a default captured when `kubernetes` was first imported.
    """
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)
