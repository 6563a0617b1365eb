"""The ValidatingWebhookConfiguration the operator keeps pointed at its own webhook server.

Why the operator writes it (when asked to): on the local control plane the webhook's address and
its self-signed certificate are only known once the operator runs, so the operator registers
itself, as Kopf's `settings.admission.managed` would, but with what Kopf fixes otherwise: a short
timeout (the API server waits at most this long for an answer) and `failurePolicy: Ignore`, so a
stopped or slow operator never blocks anyone's `kubectl apply` (the handlers' status report stays
as the backstop). The Helm chart installs its own configuration instead (a Service and a
certificate); then the operator is started with an empty configuration name and writes nothing.
"""

from __future__ import annotations

from kubernetes import client

from ecs_operator.kube.client import as_model, clients, plain_object
from ecs_operator.kube.errors import NotFound, map_api_errors
from ecs_operator.kube.views import Obj
from ecs_operator.names import ADMISSION_WEBHOOK_LABEL, GROUP, VERSION

# A namespace labelled so is not checked at admission (a cluster admin's switch, like Gatekeeper's
# ignore label): its objects get the handlers' report in status and Events only.
OPT_OUT_LABEL = ADMISSION_WEBHOOK_LABEL


def configuration(name: str, client_config: Obj, *, plurals: list[str], webhook: str, timeout: int) -> Obj:
    """The whole object: one webhook for `plurals`, CREATE and UPDATE, Ignore on failure."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "ecs-operator"}},
        "webhooks": [
            {
                "name": f"{webhook}.{GROUP}",
                "admissionReviewVersions": ["v1"],
                "clientConfig": client_config,
                "failurePolicy": "Ignore",
                "matchPolicy": "Equivalent",
                "sideEffects": "None",
                "timeoutSeconds": timeout,
                "namespaceSelector": {
                    "matchExpressions": [{"key": OPT_OUT_LABEL, "operator": "NotIn", "values": ["disabled"]}]
                },
                "rules": [
                    {
                        "apiGroups": [GROUP],
                        "apiVersions": [VERSION],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": plurals,
                        "scope": "Namespaced",
                    }
                ],
            }
        ],
    }


@map_api_errors
def _read(name: str) -> Obj:
    api = client.AdmissionregistrationV1Api(clients().api)
    return plain_object(api.read_validating_webhook_configuration(name))


@map_api_errors
def _create(body: Obj) -> None:
    client.AdmissionregistrationV1Api(clients().api).create_validating_webhook_configuration(
        as_model(body, client.V1ValidatingWebhookConfiguration)
    )


@map_api_errors
def _replace(name: str, body: Obj) -> None:
    client.AdmissionregistrationV1Api(clients().api).replace_validating_webhook_configuration(
        name, as_model(body, client.V1ValidatingWebhookConfiguration)
    )


def apply(body: Obj) -> None:
    """Create the configuration, or replace the one there (the last operator to start wins)."""
    name = body["metadata"]["name"]
    try:
        current = _read(name)
    except NotFound:
        _create(body)
        return
    body = {
        **body,
        "metadata": {**body["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]},
    }
    _replace(name, body)
