"""`kubectl ecs` arguments: the verbs of `aws ecs`, and the connection flags kubectl plugins take."""

from __future__ import annotations

import pytest

from ecs_operator.cli.kubectl_ecs import api_message, build_parser


def parse(*argv: str) -> dict[str, object]:
    return vars(build_parser().parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        ("--kubeconfig", "/k", "--context", "c", "-n", "ns", "-o", "json", "list-tasks"),
        ("list-tasks", "--kubeconfig", "/k", "--context", "c", "-n", "ns", "-o", "json"),
        ("-n", "ns", "--kubeconfig", "/k", "list-tasks", "--context", "c", "--output", "json"),
    ],
    ids=["before-verb", "after-verb", "both"],
)
def test_connection_flags_before_or_after_the_verb(argv: tuple[str, ...]) -> None:
    args = parse(*argv)
    assert (args["kubeconfig"], args["context"], args["namespace"], args["output"]) == (
        "/k",
        "c",
        "ns",
        "json",
    )


def test_flags_not_given_are_absent_not_reset() -> None:
    args = parse("list-tasks")
    assert "namespace" not in args and "kubeconfig" not in args and "output" not in args


def test_run_task() -> None:
    args = parse(
        "run-task",
        "--cluster",
        "prod",
        "--task-definition",
        "web:3",
        "--count",
        "3",
        "--group",
        "g",
        "--started-by",
        "ci",
        "--placement-strategy",
        "type=spread,field=instanceId",
        "type=binpack,field=memory",
        "--placement-constraints",
        "type=distinctInstance",
        "--overrides",
        "{}",
    )
    assert args["command"] == "run-task"
    assert (args["cluster"], args["task_definition"], args["count"], args["group"], args["started_by"]) == (
        "prod",
        "web:3",
        3,
        "g",
        "ci",
    )
    assert args["placement_strategy"] == ["type=spread,field=instanceId", "type=binpack,field=memory"]
    assert args["launch_type"] == "EC2"


@pytest.mark.parametrize("verb", [("run-task",), ("start-task", "--container-instances", "a1")])
def test_run_and_start_task_wait_for_the_placement_unless_told_not_to(verb: tuple[str, ...]) -> None:
    assert parse(*verb, "--task-definition", "web")["no_wait"] is False
    assert parse(*verb, "--task-definition", "web", "--no-wait")["no_wait"] is True


def test_defaults_follow_aws_ecs() -> None:
    assert parse("run-task", "--task-definition", "web")["cluster"] == "default"
    assert parse("run-task", "--task-definition", "web")["count"] == 1
    assert parse("list-tasks")["desired_status"] == "RUNNING"
    assert parse("put-attributes", "--attributes", "name=a,targetId=x")["cluster"] == "default"


def test_update_container_instances_state() -> None:
    args = parse(
        "update-container-instances-state",
        "--cluster",
        "prod",
        "--container-instances",
        "a",
        "b",
        "--status",
        "DRAINING",
    )
    assert args["container_instances"] == ["a", "b"] and args["status"] == "DRAINING"


@pytest.mark.parametrize(
    "argv",
    [
        ("update-container-instances-state", "--container-instances", "a", "--status", "INACTIVE"),
        ("run-task", "--cluster", "prod"),
        ("run-task", "--task-definition", "web", "--count", "three"),
        ("list-tasks", "-o", "xml"),
        ("launch-rockets",),
        (),
    ],
    ids=[
        "status-choice",
        "task-definition-required",
        "count-integer",
        "output-choice",
        "unknown-verb",
        "no-verb",
    ],
)
def test_bad_arguments_exit_2(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert "usage: kubectl ecs" in capsys.readouterr().err


def test_every_verb_of_the_brief_is_there() -> None:
    help_text = build_parser().format_help()
    for verb in (
        "put-attributes",
        "delete-attributes",
        "update-container-instances-state",
        "explain-placement",
        "run-task",
        "start-task",
        "stop-task",
        "list-tasks",
        "describe-tasks",
    ):
        assert verb in help_text


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            '404 Not Found: {"kind":"Status","message":"ecstasks.ecs-operator.dev \\"x\\" not found"}',
            'ecstasks.ecs-operator.dev "x" not found',
        ),
        ("403 Forbidden: not json", "403 Forbidden: not json"),
        ("cannot load the kubeconfig", "cannot load the kubeconfig"),
    ],
    ids=["status-body", "plain-body", "no-body"],
)
def test_api_errors_show_the_servers_message(error: str, message: str) -> None:
    assert api_message(Exception(error)) == message
