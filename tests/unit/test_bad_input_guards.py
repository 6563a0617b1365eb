"""The guards that keep bad input from wedging anything: the handlers' entry-point guard, the
webhook's ratcheting refusal, and the webhook's self-signed certificate."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.cli.certs import self_signed
from ecs_operator.handlers.admission import refusal
from ecs_operator.handlers.badinput import describe, reports_bad_input
from ecs_operator.kube.errors import Conflict
from ecs_operator.query import parse
from ecs_operator.reconcile.taskdefs import ResolveError

BAD = [{"type": "memberOf", "expression": "attribute:ecs.instance-type =! t2.small"}]
WORSE = [*BAD, {"type": "memberOf", "expression": "attribute:x ="}]


def body(constraints: list[dict[str, str]] | None = None, uid: str = "u1") -> dict[str, Any]:
    spec: dict[str, Any] = {"cluster": "prod", "taskDefinition": "web"}
    if constraints is not None:
        spec["placementConstraints"] = constraints
    return {"kind": "EcsService", "metadata": {"name": "web", "namespace": "ns", "uid": uid}, "spec": spec}


def query_error() -> ValueError:
    try:
        parse("attribute:stack ==")
    except ValueError as exc:
        return exc
    raise AssertionError("parsed")


@pytest.mark.parametrize(
    "error",
    [
        query_error(),
        ResolveError("MISSING", "TaskDefinition not found: web."),
        KeyError("cluster"),
        TypeError("x"),
    ],
    ids=["query", "resolve", "missing-field", "wrong-type"],
)
def test_bad_input_is_reported_and_swallowed(error: Exception) -> None:
    reports: list[tuple[str, str]] = []

    @reports_bad_input("EcsService", lambda obj, message: reports.append((obj["metadata"]["uid"], message)))
    def handler(**kwargs: Any) -> str:
        raise error

    assert handler(body=body(uid=f"uid-{id(error)}")) is None
    assert reports == [(f"uid-{id(error)}", describe(error))]


def test_api_errors_are_not_swallowed_kopf_retries_them() -> None:
    @reports_bad_input("EcsService", lambda obj, message: None)
    def handler(**kwargs: Any) -> None:
        raise Conflict("busy", 409)

    with pytest.raises(Conflict):
        handler(body=body())


def test_a_missing_field_is_described_by_name() -> None:
    assert describe(KeyError("cluster")) == "missing field 'cluster'"


@pytest.mark.parametrize(
    ("new", "old", "refused"),
    [
        (body(BAD), None, "spec.placementConstraints[0].expression: unexpected '='"),
        (body([]), None, None),
        (body(BAD), body(BAD), None),
        (body(WORSE), body(BAD), "spec.placementConstraints[1].expression"),
        (body([]), body(BAD), None),
    ],
    ids=["create-bad", "create-good", "unchanged-bad-kept", "update-adds-a-problem", "update-fixes"],
)
def test_the_webhook_refuses_only_what_an_update_introduces(
    new: dict[str, Any], old: dict[str, Any] | None, refused: str | None
) -> None:
    message = refusal("EcsService", new, old)
    if refused is None:
        assert message is None
    else:
        assert message is not None and message.startswith(refused)
        if old is not None:
            assert "[0]" not in message  # the problem the object already had is not held against it


def test_the_self_signed_certificate_serves_tls_for_its_host(tmp_path: Path) -> None:
    crt, key = self_signed(["127.0.0.1", "operator.local"], tmp_path)
    assert key.stat().st_mode & 0o777 == 0o600
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(crt, key)  # a matching pair, as Kopf's server loads it
    client = ssl.create_default_context(cafile=str(crt))  # the API server trusts it as its own CA
    assert client.cert_store_stats()["x509_ca"] == 1
