import pytest

from ecs_operator.lifecycle import TaskStatus, advance, is_forward, states
from ecs_operator.lifecycle.states import ORDER, is_stopping, rank

P, PE, A, R, DE, S, DP, ST = (
    TaskStatus.PROVISIONING,
    TaskStatus.PENDING,
    TaskStatus.ACTIVATING,
    TaskStatus.RUNNING,
    TaskStatus.DEACTIVATING,
    TaskStatus.STOPPING,
    TaskStatus.DEPROVISIONING,
    TaskStatus.STOPPED,
)


def test_the_order_is_the_ecs_lifecycle() -> None:
    assert ORDER == (P, PE, A, R, DE, S, DP, ST)
    assert [rank(s) for s in ORDER] == list(range(8))


@pytest.mark.parametrize(
    ("current", "new", "forward"),
    [
        pytest.param(P, PE, True, id="next-state"),
        pytest.param(PE, ST, True, id="failed-to-start-skips-to-stopped"),
        pytest.param(A, DE, True, id="skips-running"),
        pytest.param(R, R, True, id="stays"),
        pytest.param(R, A, False, id="running-back-to-activating"),
        pytest.param(ST, P, False, id="stopped-back-to-provisioning"),
        pytest.param(S, DE, False, id="stopping-back-to-deactivating"),
    ],
)
def test_is_forward(current: TaskStatus, new: TaskStatus, forward: bool) -> None:
    assert is_forward(current, new) is forward


@pytest.mark.parametrize(
    ("current", "observed", "recorded"),
    [
        pytest.param(None, A, A, id="first-observation"),
        pytest.param(A, R, R, id="forward-is-taken"),
        pytest.param(R, A, R, id="backward-is-ignored"),
        pytest.param(ST, R, ST, id="stopped-is-final"),
    ],
)
def test_advance(current: TaskStatus | None, observed: TaskStatus, recorded: TaskStatus) -> None:
    assert advance(current, observed) is recorded


def test_is_stopping_from_deactivating_on() -> None:
    assert [s for s in ORDER if is_stopping(s)] == [DE, S, DP, ST]


def test_the_transition_table_names_every_state() -> None:
    doc = states.__doc__ or ""
    assert all(f"| {status.value} " in doc for status in TaskStatus)


def test_statuses_are_their_wire_strings() -> None:
    assert [str(s) for s in ORDER] == [
        "PROVISIONING",
        "PENDING",
        "ACTIVATING",
        "RUNNING",
        "DEACTIVATING",
        "STOPPING",
        "DEPROVISIONING",
        "STOPPED",
    ]
