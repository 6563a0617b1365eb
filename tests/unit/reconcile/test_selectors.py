import pytest

from ecs_operator.reconcile.selectors import matches

LABELS = {"zone": "a", "capacity": "ec2"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param({}, True, id="empty-matches-all"),
        pytest.param(None, False, id="missing-matches-none"),
        pytest.param({"matchLabels": {"zone": "a"}}, True, id="matchLabels-hit"),
        pytest.param({"matchLabels": {"zone": "b"}}, False, id="matchLabels-miss"),
        pytest.param(
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}, True, id="In"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, False, id="NotIn"
        ),
        pytest.param({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, False, id="Exists-absent"),
        pytest.param(
            {"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}, True, id="DoesNotExist"
        ),
        pytest.param(
            {
                "matchLabels": {"capacity": "ec2"},
                "matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}],
            },
            False,
            id="both-must-hold",
        ),
    ],
)
def test_label_selector(selector: dict[str, object] | None, expected: bool) -> None:
    assert matches(selector, LABELS) is expected
