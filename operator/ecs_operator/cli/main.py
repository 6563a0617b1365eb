"""`ecs-operator`: the operator's own command line.

`ecs-operator run` starts the Kopf operator against a kubeconfig (``--kubeconfig`` or
``$KUBECONFIG``) or, inside a pod, the in-cluster configuration, and serves its Prometheus
metrics (`ecs_operator.metrics`) on ``--metrics-port`` (default 9090; 0 turns it off). With
``--webhook-port`` it also serves the validating admission webhook (`handlers.admission`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from importlib.metadata import version
from typing import Any

import kopf

from ecs_operator import metrics
from ecs_operator.kube.client import configure
from ecs_operator.names import GROUP


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-operator", description="Amazon ECS scheduling on Kubernetes")
    # The installed distribution's version: what an image or a virtual environment really holds.
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('ecs-operator')}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the operator")
    run.add_argument("--kubeconfig", help="path to a kubeconfig (default: in-cluster, then $KUBECONFIG)")
    run.add_argument(
        "--namespace", "-n", action="append", default=[], help="watch only these namespaces (repeatable)"
    )
    run.add_argument(
        "--peering",
        default=None,
        help="Kopf peering name: a higher-priority operator pauses this one. Not needed for two"
        " replicas, which share the clusters through Leases (and are safe at once in any case).",
    )
    run.add_argument(
        "--leases",
        choices=("on", "off"),
        default="on",
        help="share the clusters between replicas with one coordination Lease per cluster (on), or"
        " let every replica work on every cluster (off; still safe, only slower)",
    )
    run.add_argument(
        "--lease-namespace",
        default=None,
        help="namespace of the Leases (default: $POD_NAMESPACE, the in-cluster namespace, the"
        " kubeconfig context's namespace, else default)",
    )
    run.add_argument(
        "--identity", default=None, help="this replica's name in the Leases (default: $POD_ID, else host-pid)"
    )
    run.add_argument("--liveness", default=None, help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz")
    run.add_argument(
        "--metrics-port", type=int, default=9090, help="serve Prometheus /metrics on this port (0: off)"
    )
    run.add_argument(
        "--webhook-port",
        type=int,
        default=0,
        help="serve the validating admission webhook on this port (0: off, the default)",
    )
    run.add_argument(
        "--webhook-host",
        default="127.0.0.1",
        help="the address the API server calls the webhook at, and the certificate's name (default 127.0.0.1)",
    )
    run.add_argument("--webhook-listen", default=None, help="the address to bind (default: --webhook-host)")
    run.add_argument("--webhook-cert", default=None, help="PEM certificate (default: a self-signed one)")
    run.add_argument("--webhook-key", default=None, help="PEM private key of --webhook-cert")
    run.add_argument(
        "--webhook-configuration",
        default=GROUP,
        help="the ValidatingWebhookConfiguration the operator keeps pointed at itself"
        " ('' when it is installed otherwise, e.g. by the Helm chart)",
    )
    run.add_argument(
        "--webhook-timeout", type=int, default=5, help="seconds the API server waits for the webhook (1-30)"
    )
    run.add_argument("--verbose", "-v", action="store_true")
    _api_parser(sub)
    key = sub.add_parser(
        "create-access-key",
        help="mint an access key for the ECS API: a Secret mapping it to a Kubernetes identity",
    )
    key.add_argument("--kubeconfig", help="path to a kubeconfig (default: in-cluster, then $KUBECONFIG)")
    who = key.add_mutually_exclusive_group(required=True)
    who.add_argument("--service-account", help="NAMESPACE/NAME: calls are made as this ServiceAccount")
    who.add_argument("--user", help="a Kubernetes user name: calls are made as this user")
    key.add_argument(
        "--namespace",
        default=None,
        help="namespace of this key's ECS objects (default: the server's --namespace)",
    )
    key.add_argument("--keys-namespace", default="default", help="namespace of the API server's key Secrets")
    return parser


def _api_parser(sub: Any) -> None:
    api = sub.add_parser("api", help="serve the ECS API (JSON 1.1, SigV4) over the custom resources")
    api.add_argument("--kubeconfig", help="path to a kubeconfig (default: in-cluster, then $KUBECONFIG)")
    api.add_argument("--listen", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    api.add_argument("--port", type=int, default=8443, help="port (default 8443)")
    api.add_argument("--tls-cert", default=None, help="PEM certificate (default: a self-signed one)")
    api.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    api.add_argument(
        "--insecure-http", action="store_true", help="plain HTTP instead of TLS (only on a loopback --listen)"
    )
    api.add_argument(
        "--namespace", default="default", help="namespace of the ECS objects of keys that name none (default)"
    )
    api.add_argument(
        "--keys-namespace",
        default=None,
        help="namespace of the access-key Secrets (default: $POD_NAMESPACE, else --namespace)",
    )
    api.add_argument("--region", default="us-east-1", help="the region in ARNs (default us-east-1)")
    api.add_argument("--account-id", default="000000000000", help="the account in ARNs")
    api.add_argument(
        "--placement-wait",
        type=float,
        default=10.0,
        help="seconds RunTask/StartTask wait for the operator's placement (default 10)",
    )
    api.add_argument(
        "--rate-limit",
        type=float,
        default=20.0,
        help="requests per second per access key, on average (default 20; 0: no limit)",
    )
    api.add_argument("--burst", type=float, default=50.0, help="requests per access key at once (default 50)")


def _enable_webhook(args: argparse.Namespace) -> None:
    """Register the admission handlers and their server; a self-signed certificate if none given."""
    import tempfile
    from pathlib import Path

    from ecs_operator.handlers import admission

    if bool(args.webhook_cert) != bool(args.webhook_key):
        raise SystemExit("--webhook-cert and --webhook-key go together")
    certfile, keyfile = args.webhook_cert, args.webhook_key
    if not certfile:
        from ecs_operator.cli.certs import self_signed

        hosts = [args.webhook_host, *([args.webhook_listen] if args.webhook_listen else [])]
        crt, key = self_signed(hosts, Path(tempfile.mkdtemp(prefix="ecs-operator-webhook-")))
        certfile, keyfile = str(crt), str(key)
    admission.enable(
        admission.WebhookOptions(
            port=args.webhook_port,
            host=args.webhook_host,
            listen=args.webhook_listen or args.webhook_host,
            certfile=certfile,
            pkeyfile=keyfile,
            configuration=args.webhook_configuration,
            timeout=max(1, min(30, args.webhook_timeout)),
        )
    )


_PER_TASK_KINDS = frozenset({"EcsTask", "Pod", "EcsContainerInstance"})


def _quiet_per_task_successes(record: logging.LogRecord) -> bool:
    """Kopf logs a line per handler run ("Handler 'task_changed' succeeded."): 31,000 lines in a
    fill and scale-in of 1,000 tasks, formatted on the event loop's thread. Those of the kinds
    that come with every task are dropped (--verbose keeps them); warnings and errors (retries,
    failures) and the lines of services, schedules, clusters and definitions stay."""
    ref = getattr(record, "k8s_ref", None) or {}
    quiet = record.levelno < logging.WARNING and ref.get("kind") in _PER_TASK_KINDS
    return not (quiet and record.getMessage().endswith(" succeeded."))


def _serve_api(args: argparse.Namespace) -> int:
    """`ecs-operator api`: bind, print how to call it, serve until interrupted."""
    import os
    import tempfile
    from pathlib import Path

    from ecs_operator.ecsapi.arns import Arns
    from ecs_operator.ecsapi.server import ServerOptions, is_loopback, make_server
    from ecs_operator.ecsapi.throttle import RateLimiter

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.insecure_http and not is_loopback(args.listen):
        raise SystemExit("--insecure-http is only allowed on a loopback --listen address")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("--tls-cert and --tls-key go together")
    configure(args.kubeconfig)
    certfile, keyfile = args.tls_cert, args.tls_key
    if not args.insecure_http and not certfile:
        from ecs_operator.cli.certs import self_signed

        crt, key = self_signed([args.listen], Path(tempfile.mkdtemp(prefix="ecs-operator-api-")))
        certfile, keyfile = str(crt), str(key)
    options = ServerOptions(
        keys_namespace=args.keys_namespace or os.environ.get("POD_NAMESPACE") or args.namespace,
        default_namespace=args.namespace,
        arns=Arns(args.region, args.account_id),
        placement_wait=max(0.0, args.placement_wait),
        limiter=RateLimiter(rate=max(0.0, args.rate_limit), burst=max(1.0, args.burst)),
    )
    server = make_server(options, args.listen, args.port, None if args.insecure_http else certfile, keyfile)
    scheme = "http" if args.insecure_http else "https"
    host, port = str(server.server_address[0]), int(server.server_address[1])
    extra = "" if args.insecure_http or args.tls_cert else " --no-verify-ssl"
    print(f"ECS API listening on {scheme}://{host}:{port}", flush=True)
    print(f"try: aws ecs list-clusters --endpoint-url {scheme}://{host}:{port}{extra}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _create_access_key(args: argparse.Namespace) -> int:
    from ecs_operator.kube import accesskeys

    if args.service_account:
        ns, sep, name = args.service_account.partition("/")
        if not (sep and ns and name):
            raise SystemExit("--service-account takes NAMESPACE/NAME")
        user = f"system:serviceaccount:{ns}:{name}"
    else:
        user = args.user
    configure(args.kubeconfig)
    key = accesskeys.new_key(user, args.namespace or (ns if args.service_account else None))
    secret = accesskeys.create(args.keys_namespace, key)
    print(f"# Secret {args.keys_namespace}/{secret}: calls with this key are made as {user}")
    print(f"export AWS_ACCESS_KEY_ID={key.key_id}")
    print(f"export AWS_SECRET_ACCESS_KEY={key.secret}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "create-access-key":
        return _create_access_key(args)
    if args.command == "api":
        return _serve_api(args)
    if args.command == "run":
        configure(args.kubeconfig)
        import ecs_operator.handlers.registry  # noqa: F401  (registers every handler)
        from ecs_operator.handlers import leadership

        leadership.configure(args.leases == "on", args.identity, args.lease_namespace)

        if args.webhook_port:
            _enable_webhook(args)

        kopf.configure(verbose=args.verbose)  # Kopf's own log format, timestamps included
        if not args.verbose:
            logging.getLogger("kopf.objects").addFilter(_quiet_per_task_successes)
        metrics.serve(args.metrics_port)
        asyncio.run(
            kopf.operator(
                clusterwide=not args.namespace,
                namespaces=args.namespace,
                standalone=args.peering is None,
                peering_name=args.peering,  # giving a name makes peering mandatory
                liveness_endpoint=args.liveness,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
