"""Run boto3 calls, unchanged, for the ECS API tests (executed by the Python of `.venv-aws`).

Why a separate interpreter: botocore cannot be installed beside the pinned kubernetes client
(python-dateutil <3 against >=3), so the tests drive boto3 from its own virtual environment.

stdin: ``{"endpoint", "region", "key", "secret", "calls": [...]}``; each call is
``{"op": "run_task", "params": {...}}`` (``"service": "scheduler"`` for EventBridge Scheduler), ``{"waiter": "tasks_running", "params": {...}}`` or
``{"raw": "ListClusters", "body": "...", "tamper": "...", "age_minutes": 0}`` (a request signed by
botocore's SigV4 signer, then optionally altered). stdout: one JSON result per call,
``{"ok": response}`` or ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import datetime
import json
import sys
import urllib.request
from typing import Any

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, WaiterError


def _raw(spec: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    body = spec.get("body", "{}").encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"AmazonEC2ContainerServiceV20141113.{spec['raw']}",
    }
    request = AWSRequest(method="POST", url=job["endpoint"] + "/", data=body, headers=headers)
    if spec.get("sign", True):
        real_now = botocore.auth.get_current_datetime
        age = datetime.timedelta(minutes=spec.get("age_minutes", 0))
        botocore.auth.get_current_datetime = lambda: real_now() - age  # type: ignore[attr-defined]
        try:
            botocore.auth.SigV4Auth(Credentials(job["key"], job["secret"]), "ecs", job["region"]).add_auth(
                request
            )
        finally:
            botocore.auth.get_current_datetime = real_now  # type: ignore[attr-defined]
    if spec.get("tamper") is not None:
        body = spec["tamper"].encode()
    prepared = urllib.request.Request(job["endpoint"] + "/", data=body, method="POST")
    for name, value in request.headers.items():
        prepared.add_header(name, value if isinstance(value, str) else value.decode())
    prepared.add_header("Content-Length", str(len(body)))
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(prepared, context=context, timeout=60) as answer:
            return {"ok": json.loads(answer.read() or b"{}"), "status": answer.status}
    except urllib.error.HTTPError as err:
        payload = json.loads(err.read() or b"{}")
        return {
            "error": {"code": payload.get("__type"), "message": payload.get("message")},
            "status": err.code,
        }


def main() -> None:
    job = json.load(sys.stdin)
    clients = {
        service: boto3.client(
            service,
            endpoint_url=job["endpoint"],
            region_name=job["region"],
            aws_access_key_id=job["key"],
            aws_secret_access_key=job["secret"],
            verify=False,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        for service in ("ecs", "scheduler")
    }
    results: list[dict[str, Any]] = []
    for spec in job["calls"]:
        try:
            if "raw" in spec:
                results.append(_raw(spec, job))
            elif "waiter" in spec:
                waiter = clients["ecs"].get_waiter(spec["waiter"])
                waiter.wait(**spec.get("params", {}), WaiterConfig={"Delay": 1, "MaxAttempts": 90})
                results.append({"ok": {}})
            else:
                client = clients[spec.get("service", "ecs")]
                response = getattr(client, spec["op"])(**spec.get("params", {}))
                response.pop("ResponseMetadata", None)
                results.append({"ok": response})
        except ClientError as err:
            results.append(
                {
                    "error": {
                        "code": err.response["Error"]["Code"],
                        "message": err.response["Error"]["Message"],
                    }
                }
            )
        except WaiterError as err:
            results.append({"error": {"code": "WaiterError", "message": str(err)}})
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    import urllib3

    urllib3.disable_warnings()
    main()
