"""Capacity provider strategies: base first, then weight; a service keeps its split (tables)."""

from __future__ import annotations

from collections import Counter

import pytest

from ecs_operator.placement.capacity import (
    ALL_WEIGHTS_ZERO,
    ONLY_ONE_BASE,
    Strategy,
    StrategyError,
    StrategyItem,
    choose,
    shed,
    split,
    strategy_from_spec,
    targets,
)


def s(*items: tuple[str, int, int]) -> Strategy:
    return Strategy(tuple(StrategyItem(p, b, w) for p, b, w in items))


BASE1_1_3 = s(("ondemand", 1, 1), ("spot", 0, 3))


@pytest.mark.parametrize(
    ("strategy", "total", "expected"),
    [
        pytest.param(BASE1_1_3, 0, {"ondemand": 0, "spot": 0}, id="nothing"),
        pytest.param(BASE1_1_3, 1, {"ondemand": 1, "spot": 0}, id="base-first"),
        pytest.param(BASE1_1_3, 2, {"ondemand": 1, "spot": 1}, id="remainder-to-larger-share"),
        pytest.param(BASE1_1_3, 5, {"ondemand": 2, "spot": 3}, id="base-then-1-to-3"),
        pytest.param(BASE1_1_3, 9, {"ondemand": 3, "spot": 6}, id="nine"),
        pytest.param(s(("a", 0, 1), ("b", 0, 1)), 3, {"a": 2, "b": 1}, id="tie-goes-to-first-item"),
        pytest.param(s(("a", 4, 0), ("b", 0, 1)), 3, {"a": 3, "b": 0}, id="base-not-reached"),
        pytest.param(s(("a", 2, 0), ("b", 0, 1)), 7, {"a": 2, "b": 5}, id="weight-0-gets-only-base"),
        pytest.param(
            s(("a", 0, 0), ("b", 0, 2), ("c", 0, 1)), 6, {"a": 0, "b": 4, "c": 2}, id="weight-0-never"
        ),
        pytest.param(s(("a", 0, 1), ("b", 0, 1), ("c", 0, 1)), 4, {"a": 2, "b": 1, "c": 1}, id="three-way"),
        pytest.param(s(("b", 0, 1), ("a", 3, 1)), 5, {"b": 1, "a": 4}, id="base-item-not-first"),
        pytest.param(s(("only", 0, 0)), 3, {"only": 3}, id="one-provider-weight-0-takes-all"),
        pytest.param(s(("only", 2, 0)), 3, {"only": 3}, id="one-provider-base-and-weight-0"),
    ],
)
def test_targets(strategy: Strategy, total: int, expected: dict[str, int]) -> None:
    assert targets(strategy, total) == expected
    assert sum(expected.values()) == total


@pytest.mark.parametrize(
    ("strategy", "count", "held", "expected"),
    [
        pytest.param(BASE1_1_3, 5, {}, ["ondemand", "spot", "ondemand", "spot", "spot"], id="fresh"),
        pytest.param(BASE1_1_3, 2, {"ondemand": 1, "spot": 0}, ["spot", "ondemand"], id="base-held"),
        pytest.param(BASE1_1_3, 1, {"ondemand": 0, "spot": 4}, ["ondemand"], id="base-missing-comes-first"),
        pytest.param(BASE1_1_3, 2, {"gone": 3}, ["ondemand", "spot"], id="unknown-provider-ignored"),
    ],
)
def test_split(strategy: Strategy, count: int, held: dict[str, int], expected: list[str]) -> None:
    assert split(strategy, count, held) == expected


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        pytest.param({"ondemand": 2, "spot": 3}, "spot", id="5-to-4-keeps-base-and-weights"),
        pytest.param({"ondemand": 3, "spot": 3}, "ondemand", id="over-share-sheds-first"),
        pytest.param({"ondemand": 1, "spot": 1}, "spot", id="base-kept-to-the-last"),
        pytest.param({"ondemand": 1, "spot": 0}, "ondemand", id="only-one-left"),
        pytest.param({"ondemand": 1, "spot": 3, "old": 1}, "old", id="outside-the-strategy-first"),
        pytest.param({}, None, id="empty"),
    ],
)
def test_shed(held: dict[str, int], expected: str | None) -> None:
    assert shed(BASE1_1_3, held) == expected


@pytest.mark.parametrize("total", [1, 2, 5, 8, 13, 40])
def test_scaling_out_then_in_matches_the_targets_at_every_size(total: int) -> None:
    held: Counter[str] = Counter()
    for provider in split(BASE1_1_3, total):
        held[provider] += 1
        goal = targets(BASE1_1_3, sum(held.values()))
        assert all(abs(held[p] - goal[p]) <= 1 for p in goal)
    while sum(held.values()) > 0:
        gone = shed(BASE1_1_3, held)
        assert gone is not None
        held[gone] -= 1
        goal = targets(BASE1_1_3, sum(held.values()))
        assert all(abs(held[p] - goal[p]) <= 1 for p in goal)
        if sum(held.values()) >= 1:
            assert held["ondemand"] >= 1  # the base is the last to go


def test_choose_one_task_of_a_weighted_strategy() -> None:
    assert choose(s(("a", 0, 1), ("b", 0, 3)), {}) == "b"


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param([("a", 1, 1), ("b", 2, 1)], ONLY_ONE_BASE, id="two-bases"),
        pytest.param([("a", 1, 0), ("b", 0, 0)], ALL_WEIGHTS_ZERO, id="all-weights-zero"),
        pytest.param([("a", 0, 1), ("a", 0, 1)], "more than once", id="duplicate"),
        pytest.param([], "1 to 20", id="empty"),
        pytest.param([(f"p{i}", 0, 1) for i in range(21)], "1 to 20", id="twenty-one"),
        pytest.param([("a", 100_001, 1)], "base is 0 to 100000", id="base-too-large"),
        pytest.param([("a", 0, 1001)], "weight is 0 to 1000", id="weight-too-large"),
    ],
)
def test_refused(items: list[tuple[str, int, int]], message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        s(*items)


def test_from_spec_defaults_base_and_weight_to_zero() -> None:
    strategy = strategy_from_spec(
        [{"capacityProvider": "FARGATE", "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "base": 2}]
    )
    assert strategy.items == (StrategyItem("FARGATE", 0, 1), StrategyItem("FARGATE_SPOT", 2, 0))
    assert strategy.fargate
    assert not BASE1_1_3.fargate
