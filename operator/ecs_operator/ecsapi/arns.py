"""ECS ARNs: built from names, and names read back from ARNs or plain ids.

Formats (ECS's long ARN format)::

    arn:aws:ecs:<region>:<account>:cluster/<cluster>
    arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
    arn:aws:ecs:<region>:<account>:task/<cluster>/<task id = EcsTask name>
    arn:aws:ecs:<region>:<account>:container-instance/<cluster>/<id = node name>
    arn:aws:ecs:<region>:<account>:service/<cluster>/<service>
    arn:aws:ecs:<region>:<account>:capacity-provider/<name>
    arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<deployment number>
    arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<deployment number>

Region and account are the server's (``--region``, ``--account-id``); the namespace is not in
the ARN: it is the access key's (see `server`), like an AWS account is the credentials'.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arns:
    region: str = "us-east-1"
    account: str = "000000000000"

    def _arn(self, resource: str) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:{resource}"

    def cluster(self, name: str) -> str:
        return self._arn(f"cluster/{name}")

    def task_definition(self, family: str, revision: int | str) -> str:
        return self._arn(f"task-definition/{family}:{revision}")

    def task(self, cluster: str, task_id: str) -> str:
        return self._arn(f"task/{cluster}/{task_id}")

    def container_instance(self, cluster: str, instance_id: str) -> str:
        return self._arn(f"container-instance/{cluster}/{instance_id}")

    def service(self, cluster: str, name: str) -> str:
        return self._arn(f"service/{cluster}/{name}")

    def service_deployment(self, cluster: str, service: str, number: str) -> str:
        return self._arn(f"service-deployment/{cluster}/{service}/{number}")

    def service_revision(self, cluster: str, service: str, number: str) -> str:
        return self._arn(f"service-revision/{cluster}/{service}/{number}")

    def capacity_provider(self, name: str) -> str:
        return self._arn(f"capacity-provider/{name}")


def resource_id(text: str, kind: str) -> str:
    """The last path segment of an ARN of `kind` (``task``, ``cluster``...), or `text` itself.

    ``arn:aws:ecs:r:a:task/prod/web-x`` → ``web-x``; ``web-x`` → ``web-x``;
    ``arn:aws:ecs:r:a:task-definition/web:3`` (kind ``task-definition``) → ``web:3``.
    """
    if not text.startswith("arn:"):
        return text
    parts = text.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith(f"{kind}/"):
        return text
    return parts[5].rsplit("/", 1)[-1]


def instance_id(cluster: str, instance_name: str) -> str:
    """An EcsContainerInstance's name is ``<cluster>.<node>``; its ECS id is the node name."""
    prefix = f"{cluster}."
    return instance_name[len(prefix) :] if instance_name.startswith(prefix) else instance_name
