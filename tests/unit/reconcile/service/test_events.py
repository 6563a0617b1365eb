"""Service events: order, the 100 cap, deterministic ids, and repeat suppression (ecs-semantics §3.6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecs_operator.api import ServiceEvent
from ecs_operator.reconcile.service import ServiceTask, events
from ecs_operator.reconcile.service.naming import message_digest

from .builders import A1, B1, OLD, T0, MakeService, MakeTask, after, at, run

STEADY = "service web has reached a steady state."
H6 = 6 * 3600


def previous(*said: tuple[str, float]) -> list[ServiceEvent]:
    """Earlier events, newest first, each (message, seconds from T0)."""
    return [ServiceEvent(id=f"e{n}", created_at=at(s), message=m) for n, (m, s) in enumerate(said)]


SUPPRESSION = [
    pytest.param(["m"], [], [], ["m"], id="new-message-is-said"),
    pytest.param(["m"], [("m", -60)], ["m"], [], id="repeat-while-the-cause-lasts-is-suppressed"),
    pytest.param(["m"], [("m", -60)], [], ["m"], id="repeat-after-the-cause-cleared-is-said"),
    pytest.param(["m"], [("m", -H6)], ["m"], ["m"], id="repeat-after-6-hours-is-said"),
    pytest.param(["m"], [("m", -H6 + 1)], ["m"], [], id="repeat-just-before-6-hours-is-suppressed"),
    pytest.param(["m"], [], ["m"], ["m"], id="active-but-no-longer-listed-is-said"),
    pytest.param(["m", "n", "m"], [], [], ["m", "n"], id="said-once-per-plan"),
]


@pytest.mark.parametrize(("wanted", "said_before", "active", "said"), SUPPRESSION)
def test_suppression(
    wanted: list[str], said_before: list[tuple[str, float]], active: list[str], said: list[str]
) -> None:
    out = events.emit(
        wanted, previous(*said_before), [message_digest(m) for m in active], service_uid="u", now=T0
    )
    assert [e.message for e in reversed(out.new)] == said
    assert out.active == tuple(message_digest(m) for m in dict.fromkeys(wanted))


def test_events_are_newest_first_capped_at_100_with_deterministic_ids() -> None:
    old = previous(*((f"old {n}", -n) for n in range(100)))
    out = events.emit(["first", "second"], old, [], service_uid="u", now=T0)
    assert [e.message for e in out.events[:3]] == ["second", "first", "old 0"]
    assert len(out.events) == 100 and out.events[-1].message == "old 97"
    assert out.new == events.emit(["first", "second"], old, [], service_uid="u", now=T0).new
    assert len({e.id for e in out.new}) == 2


def test_a_suppressed_message_sets_when_it_may_repeat() -> None:
    out = events.emit(["m"], previous(("m", -60)), [message_digest("m")], service_uid="u", now=T0)
    assert out.repeat_at == at(H6 - 60)


def steady_service() -> tuple[MakeService, list[ServiceTask]]:
    svc = MakeService().desired(2).deployment(OLD, "web:1")
    return svc, [MakeTask("a").healthy().on(A1).build(), MakeTask("b").healthy().on(B1).build()]


def test_steady_state_is_said_when_reached_and_every_6_hours_while_it_lasts() -> None:
    svc, tasks = steady_service()
    first = run(svc.build(), tasks, "web:1")
    assert [e.message for e in first.events] == [STEADY]
    assert first.recheck_at is None
    quiet = run(after(svc.build(), first), tasks, "web:1", state=first.state, now=at(3600))
    assert quiet.events == () and quiet.recheck_at == at(H6)
    again = run(after(svc.build(), quiet), tasks, "web:1", state=quiet.state, now=at(H6))
    assert [e.message for e in again.events] == [STEADY]


def test_steady_state_is_said_again_after_the_service_left_it() -> None:
    svc, tasks = steady_service()
    first = run(svc.build(), tasks, "web:1")
    scaled = run(after(svc.desired(3).build(), first), tasks, "web:1", state=first.state, now=at(60))
    assert STEADY not in [e.message for e in scaled.events]
    back = run(after(svc.desired(2).build(), scaled), tasks, "web:1", state=scaled.state, now=at(120))
    assert [e.message for e in back.events] == [STEADY]
    assert back.status.events[0].created_at == T0 + timedelta(seconds=120)
