"""The AWS CLI shorthand syntax for structure arguments (`--attributes`, `--placement-*`)."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.cli.shorthand import ShorthandError, parse_shorthand, parse_structures


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name=stack,value=prod,targetId=worker-a1",
            {"name": "stack", "value": "prod", "targetId": "worker-a1"},
        ),
        ("type=distinctInstance", {"type": "distinctInstance"}),
        (
            "type=spread,field=attribute:ecs.availability-zone",
            {"type": "spread", "field": "attribute:ecs.availability-zone"},
        ),
        (
            'type=memberOf,expression="attribute:ecs.availability-zone in [zone-a, zone-b]"',
            {"type": "memberOf", "expression": "attribute:ecs.availability-zone in [zone-a, zone-b]"},
        ),
        (
            "type=memberOf,expression=attribute:ecs.availability-zone in [zone-a, zone-b]",
            {"type": "memberOf", "expression": "attribute:ecs.availability-zone in [zone-a, zone-b]"},
        ),
        ("name=a, value='x, y'", {"name": "a", "value": "x, y"}),
        ("name=a,value=b=c", {"name": "a", "value": "b=c"}),
        ("name=a,", {"name": "a"}),
    ],
    ids=[
        "attribute",
        "bare-type",
        "colon-in-value",
        "quoted-brackets",
        "bare-brackets",
        "single-quotes",
        "equals-in-value",
        "trailing-comma",
    ],
)
def test_shorthand(text: str, expected: dict[str, str]) -> None:
    assert parse_shorthand(text, "--x") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name", "--x: expected key=value, got 'name'"),
        ("=a", "expected key=value"),
        ("name=a,name=b", "name given twice"),
        ('name="a', "unbalanced quotes or brackets"),
        ("expression=[a, b", "unbalanced quotes or brackets"),
    ],
    ids=["no-equals", "no-key", "duplicate", "open-quote", "open-bracket"],
)
def test_shorthand_errors_name_the_option(text: str, message: str) -> None:
    with pytest.raises(ShorthandError, match=message.replace("[", r"\[")):
        parse_shorthand(text, "--x")


def test_structures_mix_shorthand_and_json() -> None:
    got = parse_structures(
        ["type=spread,field=instanceId", '[{"type": "binpack", "field": "memory"}]', '{"type": "random"}'],
        "--placement-strategy",
    )
    expected: list[dict[str, Any]] = [
        {"type": "spread", "field": "instanceId"},
        {"type": "binpack", "field": "memory"},
        {"type": "random"},
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("[{", "invalid JSON at column 3"), ("[1, 2]", "expected a JSON object or a list of objects")],
    ids=["bad-json", "not-objects"],
)
def test_json_errors(text: str, message: str) -> None:
    with pytest.raises(ShorthandError, match=message):
        parse_structures([text], "--placement-strategy")
