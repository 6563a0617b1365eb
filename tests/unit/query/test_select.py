"""Bulk evaluation (``Expression.select``) keeps exactly the members ``evaluate`` holds for."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecs_operator.query import MAX_EXPRESSION_LENGTH, StaticSubjects, parse
from ecs_operator.query.ast import Node
from ecs_operator.query.printer import to_text

from .test_properties import instances, trees


@settings(max_examples=500, deadline=None)
@given(trees, st.lists(instances, max_size=8))
def test_select_keeps_what_evaluate_holds_for_in_pool_order(tree: Node, pool: list[StaticSubjects]) -> None:
    text = to_text(tree)
    assume(len(text) <= MAX_EXPRESSION_LENGTH)
    expression = parse(text)
    pool = pool + pool[:2]  # the same member twice must be kept (or dropped) twice
    expected = [id(s) for s in pool if expression.evaluate(s)]
    assert [id(s) for s in expression.select(pool)] == expected


def test_select_on_an_empty_pool_is_empty() -> None:
    assert parse("attribute:a == b or not(task:group == g)").select([]) == []
