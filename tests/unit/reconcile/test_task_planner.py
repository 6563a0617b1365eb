"""The task planner (`reconcile.task`): one row per branch of `decide`, and what an observation applies.

Builders: `view(...)` is a task view with the fields a row cares about; `PodView`/`InstanceView`
are built directly (they are small). Time is injected: `NOW`, and ages relative to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator.lifecycle import DesiredStatus, LaunchStage, StopCode, StopDecision, TaskStatus
from ecs_operator.lifecycle.observation import format_time
from ecs_operator.reconcile.task import (
    POD_CREATE_GRACE,
    CreatePod,
    FailPlaced,
    Finish,
    InstanceView,
    Observation,
    Observe,
    Place,
    PodView,
    RecordPod,
    Step,
    StopLost,
    StopUnplaced,
    TaskView,
    changed,
    decide,
    observation,
    placement_fields,
    pod_created,
)
from tests.unit.lifecycle.builders import MakePod, spec

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
POD = "web-uid-1"


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def view(**fields: Any) -> TaskView:
    base: dict[str, Any] = {
        "uid": "uid-1",
        "name": "t",
        "namespace": "team",
        "cluster": "prod",
        "desired": DesiredStatus.RUNNING,
    }
    return TaskView(**(base | fields))


def placed(**fields: Any) -> TaskView:
    """Placed on prod.n1 just now, PENDING, podName recorded with the placement."""
    base: dict[str, Any] = {
        "last_status": TaskStatus.PENDING,
        "container_instance": "prod.n1",
        "pod_name": POD,
        "created_at": ago(5),
    }
    return view(**(base | fields))


def pod(node: str | None = "n1", *, deleting: bool = False) -> PodView:
    return PodView(name=POD, node=node, deleting=deleting, grace_seconds=30)


N1 = InstanceView(name="prod.n1", node="n1", has_claim=True)
N1_NO_CLAIM = InstanceView(name="prod.n1", node="n1", has_claim=False)
LOST_REASON = "Task lost: its pod runs on node n2, not on its container instance prod.n1 (node n1)."
USER = StopDecision(StopCode.USER_INITIATED, "Task stopped by user")


@pytest.mark.parametrize(
    ("task", "pod_", "instance", "seen", "step"),
    [
        pytest.param(
            view(last_status=TaskStatus.STOPPED, stopped_at=ago(60)),
            None,
            None,
            False,
            Finish(delete_pod=None, expired=False),
            id="stopped",
        ),
        pytest.param(
            view(last_status=TaskStatus.STOPPED, stopped_at=ago(60)),
            pod(),
            None,
            False,
            Finish(delete_pod=POD, expired=False),
            id="stopped-with-a-late-pod",
        ),
        pytest.param(
            view(last_status=TaskStatus.STOPPED, stopped_at=ago(60)),
            pod(deleting=True),
            None,
            False,
            Finish(delete_pod=None, expired=False),
            id="stopped-pod-already-deleting",
        ),
        pytest.param(
            view(last_status=TaskStatus.STOPPED, stopped_at=NOW - HOUR - timedelta(seconds=1)),
            None,
            None,
            False,
            Finish(delete_pod=None, expired=True),
            id="stopped-past-retention",
        ),
        pytest.param(
            view(desired=DesiredStatus.STOPPED),
            None,
            None,
            False,
            StopUnplaced(USER),
            id="stop-unplaced",
        ),
        pytest.param(
            view(desired=DesiredStatus.STOPPED, requested_stop_reason="not needed"),
            None,
            None,
            False,
            StopUnplaced(StopDecision(StopCode.USER_INITIATED, "not needed")),
            id="stop-unplaced-with-reason",
        ),
        pytest.param(view(), None, None, False, Place(), id="place"),
        pytest.param(
            view(last_status=TaskStatus.PROVISIONING), None, None, False, Place(), id="place-provisioning"
        ),
        pytest.param(
            placed(), pod("n2"), N1, False, StopLost(POD, LOST_REASON, stop_task=True), id="off-instance"
        ),
        pytest.param(
            placed(desired=DesiredStatus.STOPPED),
            pod("n2"),
            N1,
            False,
            StopLost(POD, LOST_REASON, stop_task=False),
            id="off-instance-already-stopping",
        ),
        pytest.param(
            placed(),
            pod("n2", deleting=True),
            N1,
            False,
            Observe(LaunchStage.POD_CREATED),
            id="off-instance-deleting",
        ),
        pytest.param(
            placed(), pod("n2"), None, False, Observe(LaunchStage.POD_CREATED), id="off-unknown-instance"
        ),
        pytest.param(placed(pod_name=None), pod(), N1, False, RecordPod(POD), id="record-pod"),
        pytest.param(placed(), pod(), N1, False, Observe(LaunchStage.POD_CREATED), id="observe"),
        pytest.param(placed(), pod(None), N1, False, Observe(LaunchStage.POD_CREATED), id="observe-unbound"),
        pytest.param(placed(), None, N1, False, CreatePod("prod.n1", commit_claim=False), id="create-pod"),
        pytest.param(
            placed(),
            None,
            N1_NO_CLAIM,
            False,
            CreatePod("prod.n1", commit_claim=True),
            id="create-pod-claim-lost",
        ),
        pytest.param(
            placed(),
            None,
            None,
            False,
            FailPlaced(
                "TaskFailedToStart: MISSING", (("prod.n1", "The container instance prod.n1 is gone."),)
            ),
            id="instance-gone",
        ),
        pytest.param(placed(), None, N1, True, Observe(LaunchStage.POD_CREATED), id="pod-gone-seen"),
        pytest.param(
            placed(last_status=TaskStatus.RUNNING),
            None,
            N1,
            False,
            Observe(LaunchStage.POD_CREATED),
            id="pod-gone-after-running",
        ),
        pytest.param(
            placed(last_status=TaskStatus.ACTIVATING),
            None,
            N1,
            False,
            Observe(LaunchStage.POD_CREATED),
            id="pod-gone-after-activating",
        ),
        pytest.param(
            placed(created_at=NOW - POD_CREATE_GRACE - timedelta(seconds=1)),
            None,
            N1,
            False,
            Observe(LaunchStage.POD_CREATED),
            id="pod-gone-past-grace",
        ),
        pytest.param(
            placed(desired=DesiredStatus.STOPPED),
            None,
            N1,
            False,
            Observe(LaunchStage.PLACED),
            id="stopped-before-pod",
        ),
        pytest.param(
            placed(desired=DesiredStatus.STOPPED, last_status=TaskStatus.RUNNING),
            None,
            N1,
            False,
            Observe(LaunchStage.POD_CREATED),
            id="stopped-pod-gone",
        ),
    ],
)
def test_decide(
    task: TaskView, pod_: PodView | None, instance: InstanceView | None, seen: bool, step: Step
) -> None:
    assert decide(task, pod_, instance, NOW, pod_seen=seen, retention=HOUR) == step


@pytest.mark.parametrize(
    ("task", "seen", "created"),
    [
        pytest.param(placed(), False, False, id="young-pending-unseen"),
        pytest.param(placed(), True, True, id="seen-by-this-process"),
        pytest.param(placed(last_status=TaskStatus.ACTIVATING), False, True, id="past-pending"),
        pytest.param(placed(created_at=NOW - POD_CREATE_GRACE), False, False, id="at-the-grace"),
        pytest.param(
            placed(created_at=NOW - POD_CREATE_GRACE - timedelta(seconds=1)), False, True, id="past-grace"
        ),
        pytest.param(placed(created_at=None), False, False, id="no-created-at"),
    ],
)
def test_pod_created(task: TaskView, seen: bool, created: bool) -> None:
    assert pod_created(task, NOW, pod_seen=seen) is created


def test_task_view_of_a_body() -> None:
    body = {
        "metadata": {"uid": "u", "name": "t", "namespace": "team", "annotations": {"d": "30"}},
        "spec": {"cluster": "prod", "desiredStatus": "RUNNING", "stopReason": "why"},
        "status": {
            "desiredStatus": "STOPPED",
            "lastStatus": "RUNNING",
            "containerInstance": "prod.n1",
            "podName": POD,
            "stopCode": "ServiceSchedulerInitiated",
            "stoppedReason": "scale-in",
            "createdAt": "2026-11-27T11:59:00Z",
        },
    }
    got = TaskView.of(body, "d")
    assert got == TaskView(
        uid="u",
        name="t",
        namespace="team",
        cluster="prod",
        desired=DesiredStatus.STOPPED,  # a stop in status (the service scheduler's) counts
        last_status=TaskStatus.RUNNING,
        container_instance="prod.n1",
        pod_name=POD,
        stop_code=StopCode.SERVICE_SCHEDULER_INITIATED,
        stopped_reason="scale-in",
        requested_stop_reason="why",
        created_at=ago(60),
        deregistration_delay=30,
    )
    assert got.stop_decision == StopDecision(StopCode.SERVICE_SCHEDULER_INITIATED, "scale-in")


def test_instance_view_knows_whether_it_holds_the_tasks_claim() -> None:
    inst = {
        "metadata": {"name": "prod.n1"},
        "spec": {"nodeName": "n1"},
        "status": {"claims": [{"taskUid": "u"}]},
    }
    assert InstanceView.of(inst, "u") == InstanceView("prod.n1", "n1", True)
    assert InstanceView.of(inst, "v") == InstanceView("prod.n1", "n1", False)


# ---- observation ----

WEB = [spec("web")]
PENDING_STATUS = placement_fields(WEB, ago(5), None)


def observe(
    task: TaskView, status: dict[str, Any], pod_body: dict[str, Any] | None, launch: LaunchStage
) -> Observation:
    return observation(task, status, PodView.of(pod_body) if pod_body else None, launch, WEB, NOW)


def test_the_first_look_at_an_unreported_pod_writes_nothing() -> None:
    """The placement record already holds PENDING and the first observation."""
    body = MakePod(POD).container("web").build()
    assert observe(placed(), PENDING_STATUS, body, LaunchStage.POD_CREATED) == Observation(None)


def test_a_running_pod_writes_running() -> None:
    body = MakePod(POD).container("web").running().build()
    got = observe(placed(), PENDING_STATUS, body, LaunchStage.POD_CREATED)
    assert got.fields is not None and got.fields["lastStatus"] == "RUNNING"
    assert (got.delete_pod, got.release) == (False, False)


def test_an_exited_essential_container_records_the_cause_first_and_nothing_else() -> None:
    body = MakePod(POD).container("web").terminated(exit_code=1).build()
    got = observe(placed(last_status=TaskStatus.RUNNING), PENDING_STATUS, body, LaunchStage.POD_CREATED)
    assert got == Observation(
        {
            "desiredStatus": "STOPPED",
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
        }
    )


def test_stoptask_on_a_live_pod_deletes_it_with_its_grace() -> None:
    """No deregistration delay to wait for: DEACTIVATING does not apply (ECS skips it), the pod is
    deleted in this pass and the status written is STOPPING, dated now."""
    body = MakePod(POD).container("web").running().build()
    body["spec"]["terminationGracePeriodSeconds"] = 30
    got = observe(placed(desired=DesiredStatus.STOPPED), PENDING_STATUS, body, LaunchStage.POD_CREATED)
    assert got.fields is not None and got.fields["lastStatus"] == "STOPPING"
    assert got.fields["stoppingAt"] == format_time(NOW.replace(microsecond=0))
    assert (got.delete_pod, got.delete_grace, got.release) == (True, 30, False)


def test_stoptask_on_a_pod_with_nothing_running_skips_to_deprovisioning() -> None:
    body = MakePod(POD).container("web").waiting("ContainerCreating").build()
    got = observe(placed(desired=DesiredStatus.STOPPED), PENDING_STATUS, body, LaunchStage.POD_CREATED)
    assert got.fields is not None and got.fields["lastStatus"] == "DEPROVISIONING"
    assert got.delete_pod


def test_a_load_balanced_task_is_held_deactivating_and_its_pod_kept() -> None:
    body = MakePod(POD).container("web").running().build()
    status = {**PENDING_STATUS, "lastStatus": "RUNNING"}
    task = placed(desired=DesiredStatus.STOPPED, last_status=TaskStatus.RUNNING, deregistration_delay=300)
    got = observe(task, status, body, LaunchStage.POD_CREATED)
    assert (
        got.fields is not None and got.fields["deregisteredAt"] == "2026-11-27T12:00:00Z"
    )  # deregistered now
    assert (got.delete_pod, got.release) == (False, False)


def test_a_pod_gone_after_it_was_created_stops_the_task_and_releases_the_claim() -> None:
    got = observe(placed(last_status=TaskStatus.RUNNING), PENDING_STATUS, None, LaunchStage.POD_CREATED)
    assert got.fields is not None and "lastStatus" not in got.fields  # the cause first, alone
    assert got.fields["stoppedReason"] == "The task's pod was deleted"
    stopping = placed(desired=DesiredStatus.STOPPED, stop_code=StopCode.TASK_FAILED_TO_START)
    final = observe(stopping, {**PENDING_STATUS, **got.fields}, None, LaunchStage.POD_CREATED)
    assert final.fields is not None and final.fields["lastStatus"] == "STOPPED" and final.release


def test_a_task_stopped_before_its_pod_ends_stopped_without_one() -> None:
    got = observe(placed(desired=DesiredStatus.STOPPED), PENDING_STATUS, None, LaunchStage.PLACED)
    assert got.fields is not None and got.fields["lastStatus"] == "STOPPED"
    assert got.fields["stopCode"] == "UserInitiated" and got.release and not got.delete_pod


def test_placement_fields_keep_an_earlier_created_at() -> None:
    assert placement_fields(WEB, NOW, "2026-11-27T11:00:00Z")["createdAt"] == "2026-11-27T11:00:00Z"
    fields = placement_fields(WEB, NOW, None)
    assert fields == {
        "lastStatus": "PENDING",
        "desiredStatus": "RUNNING",
        "healthStatus": "UNKNOWN",
        "containers": [{"name": "web", "lastStatus": "PENDING", "healthStatus": "UNKNOWN"}],
        "createdAt": "2026-11-27T12:00:00Z",
    }


@pytest.mark.parametrize(
    ("status", "fields", "diff"),
    [
        pytest.param({"a": 1}, {"a": 1}, None, id="nothing-changes"),
        pytest.param({"a": 1}, {"a": 2, "b": 3}, {"a": 2, "b": 3}, id="changes"),
        pytest.param({}, {"a": None}, None, id="absent-reads-as-none"),
    ],
)
def test_changed(status: dict[str, Any], fields: dict[str, Any], diff: dict[str, Any] | None) -> None:
    assert changed(status, fields) == diff
