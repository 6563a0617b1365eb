"""The names the operator writes on the wire: API group and version, label and annotation keys,
the finalizer, and the timestamp formats.

Why this module exists: these strings are a contract with everything outside the process (other
replicas, custom schedulers selecting pods by label, `kubectl -l`, dashboards, an older or newer
operator reading what this one wrote). Each was once spelled out in several modules; a typo in one
copy would silently split the contract. They live here, in the lowest layer of the package (it
imports nothing), so that every layer — the models in `api/`, the pure core, `kube/`, the
handlers — can name them without importing anything heavier.

Keys are grouped by the object that carries them. A key's value is described in its comment.
"""

from __future__ import annotations

from typing import Final

GROUP: Final = "ecs-operator.dev"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
PREFIX: Final = GROUP
"""Label and annotation keys are `<PREFIX>/<name>`."""

FINALIZER: Final = f"{PREFIX}/finalizer"
KOPF_PREFIX: Final = f"kopf.{PREFIX}"
"""Kopf's own progress and diff-base annotations."""

# --- labels on EcsContainerInstances, task pods and EcsTasks ------------------------------------
CLUSTER_LABEL: Final = f"{PREFIX}/cluster"  # the EcsCluster's name (instances, pods)
NODE_LABEL: Final = f"{PREFIX}/node"  # the node an EcsContainerInstance stands for
TASK_UID_LABEL: Final = f"{PREFIX}/task-uid"  # on a task pod: the uid of its EcsTask (marks managed pods)
TASK_LABEL: Final = f"{PREFIX}/task"  # on a task pod: its EcsTask's name (label-safe)
GROUP_LABEL: Final = f"{PREFIX}/group"  # on a task pod: the task group (label-safe)
FAMILY_LABEL: Final = f"{PREFIX}/family"  # task definition family (pods, revision objects)
REVISION_LABEL: Final = f"{PREFIX}/revision"  # task definition revision (pods, revision objects)
SERVICE_LABEL: Final = f"{PREFIX}/service"  # the EcsService that started the task (EcsTasks, pods)
TARGET_LABEL: Final = f"{PREFIX}/target"  # "registered": the pod is in its load balancer's Service
LAUNCH_TYPE_LABEL: Final = f"{PREFIX}/launch-type"  # "FARGATE" on Fargate task pods
CLIENT_TOKEN_LABEL: Final = f"{PREFIX}/client-token"  # RunTask's idempotency token (ECS API)
CLUSTER_SETTINGS_ANNOTATION: Final = (
    f"{PREFIX}/cluster-settings"  # on an EcsCluster: ECS cluster settings (JSON)
)
AUTO_SCALING_GROUP_LABEL: Final = (
    f"{PREFIX}/auto-scaling-group"  # on a node: its capacity provider's group (ECS API)
)
CLIENT_REQUEST_ANNOTATION: Final = f"{PREFIX}/client-request"  # the request a clientToken was first used with

# --- labels on ScheduledTask launches -----------------------------------------------------------
SCHEDULED_TASK_LABEL: Final = f"{PREFIX}/scheduled-task"  # the ScheduledTask's name (label-safe)
SCHEDULED_TASK_UID_LABEL: Final = f"{PREFIX}/scheduled-task-uid"  # the link the operator follows
OCCURRENCE_LABEL: Final = f"{PREFIX}/occurrence"  # schedules.occurrence_key(...)

# --- labels on other objects --------------------------------------------------------------------
LEASE_LABEL: Final = f"{PREFIX}/lease"  # on a Lease: "cluster" or "member"
ACCESS_KEY_LABEL: Final = f"{PREFIX}/access-key-id"  # on an ECS API access-key Secret: the key id
ADMISSION_WEBHOOK_LABEL: Final = f"{PREFIX}/admission-webhook"  # "disabled" on a namespace opts out

# --- annotations --------------------------------------------------------------------------------
GROUP_ANNOTATION: Final = f"{PREFIX}/group"  # on a task pod: the task group, unshortened
TASK_DEFINITION_ANNOTATION: Final = f"{PREFIX}/task-definition"  # on a task pod: family:revision
RETIREMENT_ANNOTATION: Final = f"{PREFIX}/retirement-date"  # on a node or task: RFC 3339
SPOT_INTERRUPTION_ANNOTATION: Final = f"{PREFIX}/spot-interruption"  # on a node: RFC 3339 deadline
DEREGISTRATION_DELAY_ANNOTATION: Final = f"{PREFIX}/deregistration-delay"  # on a task: seconds
PLATFORM_REVISION_ANNOTATION: Final = f"{PREFIX}/platform-revision"  # on a Fargate task pod
TAGS_ANNOTATION: Final = f"{PREFIX}/tags"  # ECS tags (TagResource), JSON
SCHEDULED_TIME_ANNOTATION: Final = f"{PREFIX}/scheduled-time"  # the occurrence, RFC 3339
TASK_INDEX_ANNOTATION: Final = f"{PREFIX}/task-index"  # 1 … taskCount
ATTEMPT_ANNOTATION: Final = f"{PREFIX}/attempt"  # 1 = the invocation, 2… = retries
RETRIES_EXHAUSTED_ANNOTATION: Final = f"{PREFIX}/retries-exhausted"  # on the last task given up

# --- time ---------------------------------------------------------------------------------------
TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
"""Kubernetes' `metav1.Time` (RFC 3339, whole seconds, UTC): conditions, status timestamps. Apply
it to an aware UTC datetime (`strftime` does not convert)."""
MICRO_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"
"""Kubernetes' `metav1.MicroTime` (microseconds, UTC): Lease renewals, forced deployments."""
