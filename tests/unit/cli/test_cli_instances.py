"""PutAttributes, DeleteAttributes and UpdateContainerInstancesState, with ECS's rules and wording."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.cli.instances import (
    NOT_ACTIVE,
    AttributeRequest,
    EcsError,
    attribute_requests,
    delete_attributes,
    effective_status,
    held_draining,
    instance_name,
    put_attributes,
    state_change,
)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("worker-a1", "prod.worker-a1"),
        ("prod.worker-a1", "prod.worker-a1"),
        ("ip-10-0-0-1.ec2.internal", "prod.ip-10-0-0-1.ec2.internal"),
    ],
    ids=["node", "instance", "dotted-node"],
)
def test_target_names_an_instance_of_the_cluster(target: str, expected: str) -> None:
    assert instance_name("prod", target) == expected


def test_attribute_requests_are_parsed_per_target() -> None:
    got = attribute_requests(
        [
            {"name": "stack", "value": "prod", "targetId": "worker-a1"},
            {"name": "gpu", "targetType": "container-instance", "targetId": "prod.worker-b1"},
        ],
        "prod",
        with_values=True,
    )
    assert got == [
        AttributeRequest("stack", "prod", "prod.worker-a1"),
        AttributeRequest("gpu", None, "prod.worker-b1"),
    ]


def test_delete_requests_ignore_values() -> None:
    got = attribute_requests([{"name": "stack", "value": "x y ", "targetId": "a"}], "prod", with_values=False)
    assert got == [AttributeRequest("stack", None, "prod.a")]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"name": "ecs.instance-type", "value": "x", "targetId": "a"},
            "reserved for the built-in attributes",
        ),
        ({"name": "bad name", "targetId": "a"}, "attribute name 'bad name' is invalid"),
        ({"name": "n" * 129, "targetId": "a"}, "is invalid: 1-128"),
        ({"name": "stack", "value": " prod", "targetId": "a"}, "no leading or trailing space"),
        ({"name": "stack", "value": "a#b", "targetId": "a"}, "the value of attribute 'stack' is invalid"),
        ({"name": "stack", "value": "v" * 129, "targetId": "a"}, "is invalid"),
        ({"name": "stack"}, "needs a targetId"),
        ({"name": "stack", "targetId": "a", "targetType": "task"}, "targetType must be container-instance"),
        ({"name": "stack", "targetId": "a", "colour": "red"}, "unknown attribute field"),
    ],
    ids=[
        "reserved",
        "name-chars",
        "name-length",
        "value-space",
        "value-chars",
        "value-length",
        "no-target",
        "target-type",
        "unknown-field",
    ],
)
def test_invalid_attributes_are_refused(item: dict[str, Any], message: str) -> None:
    with pytest.raises(EcsError, match=message):
        attribute_requests([item], "prod", with_values=True)


def test_values_may_hold_the_characters_ecs_allows() -> None:
    value = r"a-b_c.d@e/f\g:h i"
    (request,) = attribute_requests([{"name": "x/y\\z.w_v-1", "value": value, "targetId": "a"}], "p", True)
    assert request.value == value


def test_at_most_ten_attributes_per_call() -> None:
    items = [{"name": f"a{i}", "targetId": "x"} for i in range(11)]
    with pytest.raises(EcsError, match="at most 10 attributes per call"):
        attribute_requests(items, "prod", with_values=True)
    with pytest.raises(EcsError, match="attributes can not be empty"):
        attribute_requests([], "prod", with_values=True)


def test_put_creates_or_replaces_keeping_order() -> None:
    spec = {"attributes": [{"name": "stack", "value": "dev"}, {"name": "team", "value": "a"}]}
    got = put_attributes(
        spec, "p.x", [AttributeRequest("stack", "prod", "p.x"), AttributeRequest("gpu", None, "p.x")]
    )
    assert got == [{"name": "stack", "value": "prod"}, {"name": "team", "value": "a"}, {"name": "gpu"}]
    assert spec["attributes"][0]["value"] == "dev"  # the input is not modified


def test_put_refuses_an_eleventh_custom_attribute() -> None:
    spec = {"attributes": [{"name": f"a{i}"} for i in range(10)]}
    assert len(put_attributes(spec, "p.x", [AttributeRequest("a3", "v", "p.x")])) == 10
    with pytest.raises(
        EcsError, match=r"AttributeLimitExceededException: You can apply up to 10 .*would have 11"
    ):
        put_attributes(spec, "p.x", [AttributeRequest("b", None, "p.x")])


def test_delete_removes_by_name_and_ignores_absent_ones() -> None:
    spec = {"attributes": [{"name": "stack", "value": "dev"}, {"name": "team", "value": "a"}]}
    got = delete_attributes(
        spec, [AttributeRequest("stack", None, "p.x"), AttributeRequest("nope", None, "p.x")]
    )
    assert got == [{"name": "team", "value": "a"}]


def instance(observed: str | None, desired: str = "ACTIVE") -> dict[str, Any]:
    status = {"status": observed} if observed else {}
    return {"metadata": {"name": "p.x"}, "spec": {"status": desired}, "status": status}


@pytest.mark.parametrize(
    ("observed", "desired", "effective"),
    [
        ("ACTIVE", "ACTIVE", "ACTIVE"),
        ("ACTIVE", "DRAINING", "DRAINING"),
        ("DRAINING", "ACTIVE", "DRAINING"),
        ("INACTIVE", "ACTIVE", "INACTIVE"),
        (None, "ACTIVE", "INACTIVE"),
    ],
    ids=["active", "drain-requested", "cordoned", "node-gone", "not-registered"],
)
def test_effective_status(observed: str | None, desired: str, effective: str) -> None:
    assert effective_status(instance(observed, desired)) == effective


@pytest.mark.parametrize(
    ("observed", "desired", "wanted", "refused"),
    [
        ("ACTIVE", "ACTIVE", "DRAINING", None),
        ("ACTIVE", "DRAINING", "DRAINING", NOT_ACTIVE),
        ("DRAINING", "DRAINING", "DRAINING", NOT_ACTIVE),
        ("DRAINING", "ACTIVE", "DRAINING", NOT_ACTIVE),
        ("INACTIVE", "ACTIVE", "DRAINING", NOT_ACTIVE),
        ("DRAINING", "DRAINING", "ACTIVE", None),
        ("ACTIVE", "ACTIVE", "ACTIVE", None),
        ("INACTIVE", "ACTIVE", "ACTIVE", "INACTIVE"),
    ],
    ids=[
        "active-to-draining",
        "draining-requested-to-draining",
        "draining-to-draining",
        "cordoned-to-draining",
        "inactive-to-draining",
        "draining-to-active",
        "active-to-active",
        "inactive-to-active",
    ],
)
def test_only_an_active_instance_can_be_set_draining(
    observed: str, desired: str, wanted: str, refused: str | None
) -> None:
    failure = state_change(instance(observed, desired), wanted)
    assert (failure or {}).get("reason") == refused
    if failure is not None:
        assert failure["arn"] == "p.x"


def test_a_cordoned_node_holds_its_instance_draining() -> None:
    assert held_draining(instance("DRAINING", "ACTIVE"))
    assert not held_draining(instance("DRAINING", "DRAINING"))
    assert not held_draining(instance("ACTIVE", "ACTIVE"))
