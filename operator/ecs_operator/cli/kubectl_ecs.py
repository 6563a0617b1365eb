"""`kubectl ecs`: the verbs of `aws ecs` on the custom resources (installed as `kubectl-ecs`).

kubectl runs any executable named ``kubectl-<name>`` on PATH as ``kubectl <name>`` and passes the
remaining arguments through, so this program parses the connection flags itself, as kubectl
plugins do: ``--kubeconfig``, ``--context``, ``-n/--namespace`` (default: the context's), and
``$KUBECONFIG``. They may come before or after the verb. Output is a table like kubectl's, or a
document with ``-o json`` / ``-o yaml`` shaped like the ECS API's responses.

Verbs: put-attributes, delete-attributes, update-container-instances-state, explain-placement,
run-task, start-task, stop-task, list-tasks, describe-tasks, describe-services, update-service,
update-task-protection, get-task-protection.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ecs_operator.cli.commands import COMMANDS, Context
from ecs_operator.cli.instances import EcsError
from ecs_operator.cli.render import FORMATS
from ecs_operator.cli.shorthand import ShorthandError
from ecs_operator.kube import plugin
from ecs_operator.kube.errors import KubeError

STRUCTURE = "k=v,k=v"


def _connection_flags() -> argparse.ArgumentParser:
    # SUPPRESS: a flag given before the verb is not reset by the verb's parser when absent there.
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection and output")
    group.add_argument(
        "--kubeconfig", default=argparse.SUPPRESS, help="path to a kubeconfig (default: $KUBECONFIG)"
    )
    group.add_argument("--context", default=argparse.SUPPRESS, help="the kubeconfig context to use")
    group.add_argument(
        "-n", "--namespace", default=argparse.SUPPRESS, help="namespace of tasks and task definitions"
    )
    group.add_argument("-o", "--output", choices=FORMATS, default=argparse.SUPPRESS, help="output format")
    return common


def _no_wait_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="answer at once, without waiting (up to 10 s) for each task's instance or failures",
    )


def _placement_args(p: argparse.ArgumentParser, strategies: bool = True) -> None:
    if strategies:
        p.add_argument(
            "--placement-strategy",
            nargs="+",
            metavar=STRUCTURE,
            help="type=spread|binpack|random[,field=...] (at most 5), or JSON",
        )
    p.add_argument(
        "--placement-constraints",
        nargs="+",
        metavar=STRUCTURE,
        help='type=distinctInstance | type=memberOf,expression="..." (at most 10), or JSON',
    )
    p.add_argument("--overrides", metavar="JSON", help='a TaskOverride: {"containerOverrides": [...], ...}')


def _task_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", default="default", help="the EcsCluster (default: default)")
    p.add_argument("--task-definition", required=True, metavar="FAMILY[:REVISION]")
    p.add_argument("--group", help="task group (default: family:<family>)")
    p.add_argument("--started-by", metavar="TAG", help="free tag, e.g. a CI job id")


def build_parser() -> argparse.ArgumentParser:
    common = _connection_flags()
    parser = argparse.ArgumentParser(
        prog="kubectl ecs",
        description="Amazon ECS verbs on the ecs-operator custom resources.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def verb(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common])

    for name, help in (
        ("put-attributes", "create custom attributes, or replace their values (PutAttributes)"),
        ("delete-attributes", "delete custom attributes (DeleteAttributes)"),
    ):
        p = verb(name, help)
        p.add_argument("--cluster", default="default", help="the EcsCluster (default: default)")
        p.add_argument(
            "--attributes",
            nargs="+",
            required=True,
            metavar="name=N,value=V,targetId=INSTANCE",
            help="targetId: <cluster>.<node> or the node name; value is ignored by delete-attributes",
        )

    p = verb("update-container-instances-state", "set instances ACTIVE or DRAINING")
    p.add_argument("--cluster", default="default", help="the EcsCluster (default: default)")
    p.add_argument("--container-instances", nargs="+", required=True, metavar="INSTANCE")
    p.add_argument("--status", required=True, choices=("ACTIVE", "DRAINING"))

    p = verb("explain-placement", "why a task would or would not be placed on each instance")
    p.add_argument("--task", help="an existing EcsTask (name or namespace/name)")
    p.add_argument("--cluster", help="the EcsCluster (with --task-definition)")
    p.add_argument(
        "--task-definition", metavar="FAMILY[:REVISION]", help="explain a new task of this definition"
    )
    p.add_argument("--launch-type", default="EC2", choices=("EC2", "FARGATE"))
    p.add_argument("--group", help="task group (default: family:<family>)")
    p.add_argument("--seed", default="0", help="seed of the random tie-break for a new task (default: 0)")
    _placement_args(p)

    p = verb("run-task", "start tasks placed by the ECS placement engine (RunTask)")
    _task_args(p)
    p.add_argument("--count", type=int, default=1, help="how many tasks, 1-10 (default: 1)")
    p.add_argument("--launch-type", default="EC2", choices=("EC2", "FARGATE"))
    _placement_args(p)
    _no_wait_arg(p)

    p = verb("start-task", "start one task on each given container instance (StartTask)")
    _task_args(p)
    p.add_argument("--container-instances", nargs="+", required=True, metavar="INSTANCE")
    _placement_args(p, strategies=False)
    _no_wait_arg(p)

    p = verb("stop-task", "stop a task (StopTask)")
    p.add_argument("--cluster", help="the EcsCluster (checked when given)")
    p.add_argument("--task", required=True, help="the EcsTask (name or namespace/name)")
    p.add_argument("--reason", help="why; shown as the task's stoppedReason")

    p = verb("list-tasks", "list tasks (default: desired status RUNNING)")
    p.add_argument("--cluster", help="only this EcsCluster's tasks (default: every cluster)")
    p.add_argument("--family", help="only tasks of this task definition family")
    p.add_argument("--started-by", metavar="TAG")
    p.add_argument("--container-instance", metavar="INSTANCE")
    p.add_argument("--desired-status", default="RUNNING", choices=("RUNNING", "STOPPED"))
    p.add_argument("-A", "--all-namespaces", action="store_true")

    p = verb("describe-tasks", "describe tasks (YAML by default, or -o json)")
    p.add_argument("--cluster", help="the EcsCluster (checked when given)")
    p.add_argument("--tasks", nargs="+", required=True, metavar="TASK", help="names or namespace/name")

    p = verb("describe-services", "describe services: counts, deployments, newest events")
    p.add_argument("--cluster", help="the EcsCluster (checked when given)")
    p.add_argument("--services", nargs="+", required=True, metavar="SERVICE")

    p = verb("describe-capacity-providers", "describe capacity providers (default: all, built-ins first)")
    p.add_argument("--capacity-providers", nargs="*", default=[], metavar="NAME")

    p = verb(
        "put-cluster-capacity-providers",
        "set a cluster's capacity providers and default strategy (PutClusterCapacityProviders)",
    )
    p.add_argument("--cluster", required=True, help="the EcsCluster")
    p.add_argument("--capacity-providers", nargs="*", required=True, default=[], metavar="NAME")
    p.add_argument(
        "--default-capacity-provider-strategy",
        nargs="*",
        required=True,
        default=[],
        metavar="capacityProvider=P,base=B,weight=W",
    )

    p = verb("update-service", "change desired count or task definition, or force a new deployment")
    p.add_argument("--cluster", help="the EcsCluster (checked when given)")
    p.add_argument("--service", required=True)
    p.add_argument("--desired-count", type=int)
    p.add_argument("--task-definition", metavar="FAMILY[:REVISION]")
    p.add_argument("--force-new-deployment", action="store_true")
    for name, help in (
        (
            "update-task-protection",
            "protect service tasks from scale-in and deployments, or stop protecting them",
        ),
        ("get-task-protection", "whether service tasks are protected, and until when"),
    ):
        p = verb(name, help)
        p.add_argument("--cluster", help="the EcsCluster (checked when given)")
        p.add_argument(
            "--tasks", nargs="+", required=True, metavar="TASK", help="names or namespace/name (at most 10)"
        )
        if name == "update-task-protection":
            enabled = p.add_mutually_exclusive_group(required=True)
            enabled.add_argument("--protection-enabled", dest="protection_enabled", action="store_true")
            enabled.add_argument("--no-protection-enabled", dest="protection_enabled", action="store_false")
            p.add_argument(
                "--expires-in-minutes",
                type=int,
                metavar="MINUTES",
                help="1 to 2880 (default 120); counted from when the operator applies the call",
            )
    return parser


def api_message(exc: Exception) -> str:
    """The API server's own message when the error carries its Status body, else the error itself."""
    text = str(exc)
    _, sep, body = text.partition(": ")
    if sep:
        try:
            status = json.loads(body)
        except json.JSONDecodeError:
            return text
        if isinstance(status, dict) and status.get("message"):
            return str(status["message"])
    return text


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        default_namespace = plugin.configure(
            getattr(args, "kubeconfig", None), getattr(args, "context", None)
        )
        ctx = Context(
            namespace=getattr(args, "namespace", None) or default_namespace,
            output=getattr(args, "output", None),
            out=sys.stdout,
            err=sys.stderr,
        )
        return COMMANDS[args.command](args, ctx)
    except (EcsError, ShorthandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except KubeError as exc:
        print(f"error: {api_message(exc)}", file=sys.stderr)
    except ValueError as exc:  # invalid overrides or placement (ECS wording, from the core)
        print(f"error: InvalidParameterException: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
