"""`claims.commit` and `claims.release` against scripted answers: the Omega protocol's branches
(idempotence by taskUid, a conflict that still fits, one that no longer fits, exhaustion)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ecs_operator.kube import claims
from ecs_operator.kube.claims import _with_claims
from ecs_operator.kube.errors import Conflict, KubeError, NotFound
from ecs_operator.kube.objects import INSTANCES, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import World

INSTANCE = "prod.n1"  # 2 vCPU = 2048 units, 4 GiB


def claim(uid: str, cpu: int = 1024, memory: int = 512) -> dict[str, Any]:
    return {"taskUid": uid, "task": f"team/{uid}", "cpu": cpu, "memory": memory, "ports": []}


def fits(obj: Obj) -> str | None:
    """The re-check the scheduler passes: does 1024 CPU units still fit on the instance as read?"""
    remaining = int(((obj.get("status") or {}).get("remainingResources") or {}).get("cpu", 0))
    return None if remaining >= 1024 else "RESOURCE:CPU"


def other_claims(store: FakeStore, *added: dict[str, Any]) -> Callable[[], None]:
    """Another scheduler commits its claims on the instance before our write lands."""

    def write() -> None:
        def change(obj: Obj) -> None:
            obj["status"].update(_with_claims(obj, [*obj["status"].get("claims", []), *added]))

        store.mutate("ecs-operator.dev", INSTANCES.plural, INSTANCE, change)

    return write


@dataclass(frozen=True)
class Case:
    script: Callable[[FakeStore], None]
    raises: type[Exception] | None = None
    claims: tuple[str, ...] = ()  # task uids on the instance afterwards
    outcomes: tuple[Any, ...] = ()  # answers to the status patches
    already: tuple[str, ...] = ()  # claims there before


COMMIT = {
    "committed-at-once": Case(lambda s: None, claims=("a",), outcomes=("ok",)),
    "idempotent-by-task-uid": Case(lambda s: None, already=("a",), claims=("a",), outcomes=()),
    "409-still-fits": Case(
        lambda s: s.before(other_claims(s, claim("b", cpu=512)), "patch_status", INSTANCE),
        claims=("b", "a"),
        outcomes=(409, "ok"),
    ),
    "409-no-longer-fits": Case(
        lambda s: s.before(other_claims(s, claim("b", cpu=1536)), "patch_status", INSTANCE),
        raises=claims.NoLongerFits,
        claims=("b",),
        outcomes=(409,),
    ),
    "409-our-claim-is-there-already": Case(
        # e.g. the same task's commit by another replica, or our own earlier write whose answer was lost
        lambda s: s.before(other_claims(s, claim("a")), "patch_status", INSTANCE),
        claims=("a",),
        outcomes=(409,),
    ),
    "conflict-exhaustion": Case(
        lambda s: s.fail(409, "patch_status", INSTANCE, times=None),
        raises=Conflict,
        outcomes=(409,) * 5,
    ),
    "500-propagates": Case(
        lambda s: s.fail(500, "patch_status", INSTANCE), raises=KubeError, outcomes=(500,)
    ),
    "timeout-after-the-write-then-retry": Case(
        # the answer was lost; the caller's retry finds the claim and writes nothing
        lambda s: s.fail("timeout", "patch_status", INSTANCE, applied=True),
        raises=KubeError,
        claims=("a",),
        outcomes=("timeout",),
    ),
}


@pytest.mark.parametrize("case", COMMIT.values(), ids=COMMIT.keys())
def test_commit(store: FakeStore, world: World, case: Case) -> None:
    world.instance("n1")
    if case.already:
        other_claims(store, *(claim(u) for u in case.already))()
    case.script(store)
    current = world.get(INSTANCES.plural, INSTANCE, None)
    if case.raises is not None:
        with pytest.raises(case.raises) as caught:
            claims.commit(INSTANCE, claim("a"), fits, current=current)
        assert not (case.raises is KubeError and isinstance(caught.value, Conflict))
    else:
        committed = claims.commit(INSTANCE, claim("a"), fits, current=current)
        assert committed == world.get(INSTANCES.plural, INSTANCE, None)
    held = world.claims(INSTANCE)
    assert tuple(c["taskUid"] for c in held) == case.claims
    assert tuple(c.outcome for c in store.log("patch_status")) == case.outcomes
    status = world.get(INSTANCES.plural, INSTANCE, None)["status"]
    assert status["runningTasksCount"] == len(held)
    assert status["remainingResources"]["cpu"] == 2048 - sum(c["cpu"] for c in held)
    if case.outcomes[-1:] == ("timeout",):
        claims.commit(INSTANCE, claim("a"), fits)  # the retry
        assert [c["taskUid"] for c in world.claims(INSTANCE)] == ["a"]
        assert len(store.log("patch_status")) == 1


def test_commit_never_counts_a_task_twice_however_it_is_retried(store: FakeStore, world: World) -> None:
    world.instance("n1")
    for _ in range(3):
        claims.commit(INSTANCE, claim("a"), fits)
    assert [c["taskUid"] for c in world.claims(INSTANCE)] == ["a"]


RELEASE = {
    "released": Case(lambda s: None, already=("a", "b"), claims=("b",), outcomes=("ok",)),
    "not-held-writes-nothing": Case(lambda s: None, already=("b",), claims=("b",), outcomes=()),
    "409-keeps-the-other-writer's-claim": Case(
        lambda s: s.before(other_claims(s, claim("c", cpu=0)), "patch_status", INSTANCE),
        already=("a",),
        claims=("c",),
        outcomes=(409, "ok"),
    ),
    "released-by-someone-else-meanwhile": Case(
        lambda s: s.before(
            lambda: s.mutate(
                "ecs-operator.dev",
                INSTANCES.plural,
                INSTANCE,
                lambda o: o["status"].update(_with_claims(o, [])),
            ),
            "patch_status",
            INSTANCE,
        ),
        already=("a",),
        claims=(),
        outcomes=(409,),
    ),
    "500-propagates": Case(
        lambda s: s.fail(500, "patch_status", INSTANCE),
        already=("a",),
        claims=("a",),
        outcomes=(500,),
        raises=KubeError,
    ),
}


@pytest.mark.parametrize("case", RELEASE.values(), ids=RELEASE.keys())
def test_release(store: FakeStore, world: World, case: Case) -> None:
    world.instance("n1")
    other_claims(store, *(claim(u, cpu=512) for u in case.already))()
    case.script(store)
    if case.raises is not None:
        with pytest.raises(case.raises):
            claims.release(INSTANCE, "a")
    else:
        claims.release(INSTANCE, "a")
    held = world.claims(INSTANCE)
    assert tuple(c["taskUid"] for c in held) == case.claims
    assert tuple(c.outcome for c in store.log("patch_status")) == case.outcomes
    status = world.get(INSTANCES.plural, INSTANCE, None)["status"]
    assert status["remainingResources"]["cpu"] == 2048 - sum(c["cpu"] for c in held)


def test_release_on_a_gone_instance_is_not_found(store: FakeStore) -> None:
    """Callers suppress it: an instance that is gone holds no claim."""
    with pytest.raises(NotFound):
        claims.release("prod.gone", "a")


def test_release_from_a_cached_copy_that_shows_the_claim_reads_nothing(
    store: FakeStore, world: World
) -> None:
    world.instance("n1")
    other_claims(store, claim("a", cpu=512))()
    cached = world.get(INSTANCES.plural, INSTANCE, None)
    store.calls.clear()
    claims.release(INSTANCE, "a", current=cached)
    assert [c.verb for c in store.calls] == ["patch_status"]  # no GET: the copy is current
    assert world.claims(INSTANCE) == []


def test_release_from_a_cached_copy_without_the_claim_reads_the_instance(
    store: FakeStore, world: World
) -> None:
    """The copy may be behind the claim's commit: its absence there proves nothing."""
    world.instance("n1")
    stale = world.get(INSTANCES.plural, INSTANCE, None)
    other_claims(store, claim("a", cpu=512))()
    store.calls.clear()
    claims.release(INSTANCE, "a", current=stale)
    assert [c.verb for c in store.calls] == ["get", "patch_status"]
    assert world.claims(INSTANCE) == []
