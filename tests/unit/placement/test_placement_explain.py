"""explain(): every instance's verdict, what each strategy kept, and where the task would go."""

from __future__ import annotations

import random

from ecs_operator.placement import (
    ClusterSnapshot,
    Explanation,
    FailureReason,
    PlacementFailure,
    Rejection,
    StrategyStep,
    Verdict,
    explain,
    make_cluster,
    make_instance,
    make_task,
    place,
)

CHECKS = (
    "status",
    "agent",
    "launch type",
    "compatibility",
    "cpu",
    "memory",
    "ports",
    "memberOf",
    "distinctInstance",
)


def cluster() -> ClusterSnapshot:
    return make_cluster(
        make_instance("prod.a1").zone("zone-a").task("service:web"),
        make_instance("prod.a2").zone("zone-a").draining(),
        make_instance("prod.b1").zone("zone-b").memory(256),
        make_instance("prod.b2").zone("zone-b"),
        make_instance("prod.c1").zone("zone-c"),
    )


def test_explain_a_placeable_task() -> None:
    task = (
        make_task("default/web-1")
        .service("web")
        .memory(512)
        .strategy("spread", "attribute:ecs.availability-zone")
    )
    explanation = explain(cluster(), task.build(), random.Random(2))
    assert explanation == Explanation(
        task="default/web-1",
        checks=CHECKS,
        verdicts=(
            Verdict("prod.a1", 9),
            Verdict("prod.a2", 0, Rejection(FailureReason.INACTIVE, "container instance is DRAINING")),
            Verdict(
                "prod.b1", 5, Rejection(FailureReason.RESOURCE_MEMORY, "needs 512 MiB, 256 MiB remaining")
            ),
            Verdict("prod.b2", 9),
            Verdict("prod.c1", 9),
        ),
        steps=(StrategyStep("spread(attribute:ecs.availability-zone)", ("prod.b2", "prod.c1")),),
        chosen=explanation.chosen,
        failure=None,
    )
    assert explanation.chosen in {"prod.b2", "prod.c1"}
    assert explanation.render() == "\n".join(
        [
            "task default/web-1",
            "",
            "  prod.a1  pass",
            "  prod.a2  INACTIVE at status: container instance is DRAINING",
            "  prod.b1  RESOURCE:MEMORY at memory: needs 512 MiB, 256 MiB remaining",
            "  prod.b2  pass",
            "  prod.c1  pass",
            "",
            "  spread(attribute:ecs.availability-zone): kept prod.b2, prod.c1",
            "",
            f"would place on {explanation.chosen}",
        ]
    )


def test_explain_chooses_what_place_would_with_the_same_seed() -> None:
    task = make_task("default/web-1").service("web").build()
    for seed in range(10):
        placed = place(cluster(), task, 1, random.Random(seed)).placements[0].instance
        assert explain(cluster(), task, random.Random(seed)).chosen == placed


def test_explain_an_unplaceable_task() -> None:
    task = make_task("default/big").memory(100_000).build()
    explanation = explain(cluster(), task, random.Random(0))
    assert explanation.chosen is None
    assert explanation.steps == ()
    assert explanation.failure == PlacementFailure("default/big", explanation.verdicts)
    assert explanation.render().splitlines()[-1] == "TaskFailedToStart: RESOURCE:MEMORY"
