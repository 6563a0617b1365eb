"""`ecs-operator`: the operator's own command line.

`ecs-operator run` starts the Kopf operator against a kubeconfig (``--kubeconfig`` or
``$KUBECONFIG``) or, inside a pod, the in-cluster configuration, and serves its Prometheus
metrics (`ecs_operator.metrics`) on ``--metrics-port`` (default 9090; 0 turns it off).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import kopf

from ecs_operator import metrics
from ecs_operator.kube.client import configure


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-operator", description="Amazon ECS scheduling on Kubernetes")
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
    run.add_argument("--verbose", "-v", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        configure(args.kubeconfig)
        import ecs_operator.handlers.registry  # noqa: F401  (registers every handler)
        from ecs_operator.handlers import leadership

        leadership.configure(args.leases == "on", args.identity, args.lease_namespace)

        kopf.configure(verbose=args.verbose)  # Kopf's own log format, timestamps included
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
