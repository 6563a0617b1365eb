"""Evaluation: the documented examples of ecs-semantics 2.2, and the meaning of every operator."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecs_operator.query import StaticSubjects, Subjects, parse

REGISTERED = datetime(2018, 6, 18, 22, 28, 28, tzinfo=UTC)


def instance(
    attributes: Mapping[str, str] | None = None,
    *,
    groups: tuple[str, ...] = (),
    version: str | None = "1.14.5",
    registered: datetime | None = REGISTERED,
    connected: bool = True,
    tasks: int | None = None,
    instance_id: str = "i-abcd1234",
) -> StaticSubjects:
    """A container instance with an agent 1.14.5 registered at REGISTERED, unless told otherwise."""
    return StaticSubjects(
        ec2_instance_id=instance_id,
        agent_connected=connected,
        agent_version=version,
        registered_at=registered,
        running_tasks_count=len(groups) if tasks is None else tasks,
        task_groups=groups,
        attributes=attributes or {},
    )


T2_SMALL_1A = instance(
    {"ecs.instance-type": "t2.small", "ecs.availability-zone": "us-east-1a", "ecs.os-family": "LINUX"}
)
G2_1D = instance({"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1d"})
G2_1B = instance({"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1b"})
WINDOWS = instance({"ecs.os-family": "WINDOWS_SERVER_2022_CORE"}, instance_id="i-wxyx7890")
PRODUCTION = instance(groups=("service:production",))
DATABASE = instance(groups=("database", "service:production"))
OLD = instance(version="1.14.4", registered=datetime(2018, 2, 12, 23, 59, 59, tzinfo=UTC))
BARE = instance(version=None, registered=None, instance_id="i-00000000")


@pytest.mark.parametrize(
    ("text", "matching", "not_matching"),
    [
        pytest.param(
            "attribute:ecs.instance-type == t2.small", [T2_SMALL_1A], [G2_1D, BARE], id="instance-type"
        ),
        pytest.param(
            "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
            [T2_SMALL_1A, G2_1B],
            [G2_1D, BARE],
            id="availability-zone-in",
        ),
        pytest.param(
            "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
            [G2_1B],
            [G2_1D, T2_SMALL_1A, BARE],
            id="regex-and-not-equals",
        ),
        pytest.param("task:group == service:production", [PRODUCTION, DATABASE], [BARE], id="affinity"),
        pytest.param("not(task:group == database)", [PRODUCTION, BARE], [DATABASE], id="anti-affinity"),
        pytest.param(
            "runningTasksCount == 1",
            [PRODUCTION, instance(tasks=1)],
            [DATABASE, BARE],
            id="running-tasks-count",
        ),
        pytest.param(
            "agentVersion < 1.14.5", [OLD], [T2_SMALL_1A, instance(version="1.14.10"), BARE], id="version"
        ),
        pytest.param("registeredAt < 2018-02-13", [OLD], [T2_SMALL_1A, BARE], id="registered-before"),
        pytest.param(
            "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", [T2_SMALL_1A, WINDOWS], [BARE], id="instance-ids"
        ),
        pytest.param(
            "attribute:ecs.os-family == WINDOWS_SERVER_2022_CORE",
            [WINDOWS],
            [T2_SMALL_1A, BARE],
            id="os-family",
        ),
    ],
)
def test_documented_examples(text: str, matching: list[Subjects], not_matching: list[Subjects]) -> None:
    expression = parse(text)
    assert [expression.evaluate(i) for i in matching] == [True] * len(matching)
    assert [expression.evaluate(i) for i in not_matching] == [False] * len(not_matching)


WITH_X = instance({"x": "b"})
EMPTY_X = instance({"x": ""})
WITHOUT_X = instance()


@pytest.mark.parametrize(
    ("condition", "with_b", "with_empty", "without"),
    [
        pytest.param("== b", True, False, False, id="eq"),
        pytest.param("!= b", False, True, True, id="ne"),
        pytest.param("> a", True, False, False, id="gt"),
        pytest.param(">= b", True, False, False, id="ge"),
        pytest.param("< c", True, True, False, id="lt"),
        pytest.param("<= b", True, True, False, id="le"),
        pytest.param("exists", True, True, False, id="exists"),
        pytest.param("!exists", False, False, True, id="not-exists"),
        pytest.param("in [a, b]", True, False, False, id="in"),
        pytest.param("!in [a, b]", False, True, True, id="not-in"),
        pytest.param("=~ '[a-c]'", True, False, False, id="matches"),
        pytest.param("!~ '[a-c]'", False, True, True, id="not-matches"),
        pytest.param("== ''", False, True, False, id="eq-empty"),
        pytest.param("=~ '.*'", True, True, False, id="matches-anything-needs-presence"),
    ],
)
def test_attribute_operators_and_missing_attribute(
    condition: str, with_b: bool, with_empty: bool, without: bool
) -> None:
    expression = parse(f"attribute:x {condition}")
    assert (expression.evaluate(WITH_X), expression.evaluate(EMPTY_X), expression.evaluate(WITHOUT_X)) == (
        with_b,
        with_empty,
        without,
    )


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [
        pytest.param("> 9", "10", True, id="numbers-compare-numerically"),
        pytest.param("< 9", "10", False, id="numbers-compare-numerically-lt"),
        pytest.param(">= 2.50", "2.5", True, id="decimal-fraction"),
        pytest.param("< 0", "-1", True, id="negative-number"),
        pytest.param("> 9", "abc", True, id="value-not-a-number-compares-as-string"),
        pytest.param("> abc", "10", False, id="literal-not-a-number-compares-as-string"),
        pytest.param("> 1e3", "2", True, id="exponent-is-not-a-number"),
        pytest.param("< b", "a", True, id="strings"),
        pytest.param("< a", "B", True, id="strings-by-code-point"),
        pytest.param("== 1", "1.0", False, id="equality-stays-textual"),
        pytest.param(">= 1", "1.0", True, id="ordering-is-numeric"),
    ],
)
def test_ordered_attribute_comparison(condition: str, value: str, expected: bool) -> None:
    assert parse(f"attribute:x {condition}").evaluate(instance({"x": value})) is expected


WEB = instance(groups=("service:web", "service:web", "family:batch"))
IDLE = instance()


@pytest.mark.parametrize(
    ("condition", "on_web", "on_idle"),
    [
        pytest.param("== service:web", True, False, id="eq-some-task"),
        pytest.param("== service:api", False, False, id="eq-no-task"),
        pytest.param("!= service:web", False, True, id="ne-no-task-of-group"),
        pytest.param("!= service:api", True, True, id="ne-other-group"),
        pytest.param("in [service:api, family:batch]", True, False, id="in-any"),
        pytest.param("!in [service:api, family:batch]", False, True, id="not-in-none"),
        pytest.param("=~ 'service:.*'", True, False, id="matches-any"),
        pytest.param("!~ 'family:.*'", False, True, id="not-matches-none"),
        pytest.param("exists", True, False, id="exists-any-task"),
        pytest.param("!exists", False, True, id="not-exists-no-task"),
        pytest.param("> service:a", True, False, id="ordered-any"),
    ],
)
def test_task_group(condition: str, on_web: bool, on_idle: bool) -> None:
    expression = parse(f"task:group {condition}")
    assert (expression.evaluate(WEB), expression.evaluate(IDLE)) == (on_web, on_idle)


def test_task_groups_may_be_a_mapping_of_counts() -> None:
    """The placement snapshot exposes {group: count}; only membership and iteration are used."""
    subjects = StaticSubjects(task_groups={"service:web": 2})
    assert parse("task:group == service:web").evaluate(subjects)
    assert parse("task:group =~ 'service:.*'").evaluate(subjects)
    assert not parse("task:group !exists").evaluate(subjects)


@pytest.mark.parametrize(
    ("text", "connected", "disconnected"),
    [
        pytest.param("agentConnected == true", True, False, id="eq-true"),
        pytest.param("agentConnected != true", False, True, id="ne-true"),
        pytest.param("agentConnected == false", False, True, id="eq-false"),
        pytest.param("agentConnected in [true]", True, False, id="in"),
        pytest.param("agentConnected !in [true]", False, True, id="not-in"),
        pytest.param("agentConnected =~ 't.*'", True, False, id="matches-the-string"),
        pytest.param("agentConnected !~ 'fal.*'", True, False, id="not-matches-the-string"),
    ],
)
def test_agent_connected_is_the_string_true_or_false(text: str, connected: bool, disconnected: bool) -> None:
    expression = parse(text)
    assert (expression.evaluate(instance()), expression.evaluate(instance(connected=False))) == (
        connected,
        disconnected,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ec2InstanceId == i-abcd1234", True, id="eq"),
        pytest.param("ec2InstanceId != i-abcd1234", False, id="ne"),
        pytest.param("ec2InstanceId =~ 'i-[0-9a-f]{8}'", True, id="matches"),
        pytest.param("ec2InstanceId =~ 'abcd'", False, id="matches-is-whole-string"),
        pytest.param("ec2InstanceId =~ '.*abcd.*'", True, id="search-with-dot-star"),
        pytest.param("ec2InstanceId not_in [i-1, i-2]", True, id="not-in"),
    ],
)
def test_ec2_instance_id(text: str, expected: bool) -> None:
    assert parse(text).evaluate(instance()) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param("== 2", True, id="eq"),
        pytest.param("!= 2", False, id="ne"),
        pytest.param("> 1", True, id="gt"),
        pytest.param("> 2", False, id="gt-equal"),
        pytest.param(">= 2", True, id="ge"),
        pytest.param("< 10", True, id="lt-numeric-not-textual"),
        pytest.param("<= 1", False, id="le"),
        pytest.param("greater_than 1", True, id="alias"),
    ],
)
def test_running_tasks_count(condition: str, expected: bool) -> None:
    assert parse(f"runningTasksCount {condition}").evaluate(instance(tasks=2)) is expected


@pytest.mark.parametrize(
    ("version", "condition", "expected"),
    [
        pytest.param("1.14.5", "< 1.14.10", True, id="numeric-components"),
        pytest.param("1.14.10", "> 1.14.9", True, id="numeric-components-gt"),
        pytest.param("1.14.5", "== v1.14.5", True, id="leading-v-in-literal"),
        pytest.param("v1.14.5", "== 1.14.5", True, id="leading-v-in-value"),
        pytest.param("1.14", "== 1.14.0", True, id="missing-component-is-zero"),
        pytest.param("1.15.0-rc.1", "< 1.15.0", True, id="pre-release-before-release"),
        pytest.param("1.15.0-rc.2", "> 1.15.0-rc.1", True, id="pre-release-order"),
        pytest.param("1.15.0-rc.10", "> 1.15.0-rc.9", True, id="numeric-pre-release-identifiers"),
        pytest.param("1.15.0-alpha", "< 1.15.0-alpha.1", True, id="shorter-pre-release-first"),
        pytest.param("1.15.0+build.7", "== 1.15.0", True, id="build-metadata-ignored"),
        pytest.param("2.0.0", ">= 1.99.99", True, id="major-wins"),
        pytest.param("latest", "!= 1.0.0", True, id="unparseable-is-missing-ne"),
        pytest.param("latest", "< 99.0.0", False, id="unparseable-is-missing-lt"),
        pytest.param(None, "!= 1.0.0", True, id="missing-ne"),
        pytest.param(None, ">= 0.0.0", False, id="missing-ge"),
    ],
)
def test_agent_version_is_semantic(version: str | None, condition: str, expected: bool) -> None:
    assert parse(f"agentVersion {condition}").evaluate(instance(version=version)) is expected


NOON = datetime(2018, 6, 18, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("registered", "condition", "expected"),
    [
        pytest.param(NOON, "== 2018-06-18T12:00:00+00:00", True, id="offset-form"),
        pytest.param(NOON, "== 2018-06-18T12:00:00Z", True, id="z-form"),
        pytest.param(NOON, "== 2018-06-18T12:00:00", True, id="no-zone-is-utc"),
        pytest.param(NOON, "== 2018-06-18T14:00:00+02:00", True, id="other-offset-same-instant"),
        pytest.param(NOON, "> 2018-06-18T11:59:59Z", True, id="instant-gt"),
        pytest.param(NOON, "< 2018-06-18T12:00:00Z", False, id="instant-lt-equal"),
        pytest.param(NOON, "== 2018-06-18", True, id="date-is-the-whole-day"),
        pytest.param(NOON, "> 2018-06-18", False, id="date-gt-means-a-later-day"),
        pytest.param(NOON, ">= 2018-06-18", True, id="date-ge"),
        pytest.param(NOON, "< 2018-06-19", True, id="date-lt"),
        pytest.param(NOON, "<= 2018-06-17", False, id="date-le"),
        pytest.param(
            datetime(2018, 6, 18, 23, 30, tzinfo=timezone(timedelta(hours=-2))),
            "== 2018-06-19",
            True,
            id="day-is-taken-in-utc",
        ),
        pytest.param(
            datetime(2018, 6, 18, 12, 0, 0), "== 2018-06-18T12:00:00Z", True, id="naive-value-is-utc"
        ),
        pytest.param(None, "!= 2018-06-18", True, id="missing-ne"),
        pytest.param(None, "< 2099-01-01", False, id="missing-lt"),
    ],
)
def test_registered_at(registered: datetime | None, condition: str, expected: bool) -> None:
    assert parse(f"registeredAt {condition}").evaluate(instance(registered=registered)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("attribute:a exists or attribute:b exists and attribute:c exists", True, id="or-of-and"),
        pytest.param(
            "(attribute:a exists or attribute:b exists) and attribute:c exists", False, id="grouped"
        ),
        pytest.param("not attribute:a exists or attribute:c exists", False, id="not-binds-tightest"),
        pytest.param("!(attribute:a exists && attribute:c exists)", True, id="bang-group"),
        pytest.param("not not attribute:a exists", True, id="double-negation"),
    ],
)
def test_connectives(text: str, expected: bool) -> None:
    assert parse(text).evaluate(instance({"a": "1"})) is expected


def test_one_expression_evaluates_many_instances() -> None:
    expression = parse(
        "attribute:ecs.availability-zone in [us-east-1a, us-east-1b] and runningTasksCount < 2"
    )
    fleet = [instance({"ecs.availability-zone": f"us-east-1{z}"}, tasks=n) for z in "abcd" for n in range(3)]
    assert [
        (i.attribute("ecs.availability-zone"), i.running_tasks_count) for i in fleet if expression.evaluate(i)
    ] == [
        ("us-east-1a", 0),
        ("us-east-1a", 1),
        ("us-east-1b", 0),
        ("us-east-1b", 1),
    ]
