from typing import Any

import pytest

from ecs_operator.api.fargate import (
    FARGATE_SIZES,
    FARGATE_UNSUPPORTED_PARAMETERS,
    find_fargate_unsupported,
    validate_fargate_size,
)


def no_configuration(cpu: int, memory: int) -> str:
    return (
        f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
        "See the Amazon ECS documentation for the valid values."
    )


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        pytest.param(256, 512, id="smallest"),
        pytest.param(256, 2048, id="quarter-largest"),
        pytest.param(512, 1024, id="half-smallest"),
        pytest.param(512, 4096, id="half-largest"),
        pytest.param(1024, 2048, id="one-smallest"),
        pytest.param(1024, 8192, id="one-largest"),
        pytest.param(2048, 4096, id="two-smallest"),
        pytest.param(2048, 16384, id="two-largest"),
        pytest.param(4096, 8192, id="four-smallest"),
        pytest.param(4096, 30720, id="four-largest"),
        pytest.param(8192, 16384, id="eight-smallest"),
        pytest.param(8192, 20480, id="eight-4gb-step"),
        pytest.param(8192, 61440, id="eight-largest"),
        pytest.param(16384, 32768, id="sixteen-smallest"),
        pytest.param(16384, 40960, id="sixteen-8gb-step"),
        pytest.param(16384, 122880, id="sixteen-largest"),
    ],
)
def test_valid_linux_sizes(cpu: int, memory: int) -> None:
    assert validate_fargate_size(cpu, memory) is None


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        pytest.param(256, 4096, id="quarter-too-much-memory"),
        pytest.param(256, 1536, id="quarter-between-steps"),
        pytest.param(256, 256, id="quarter-too-little"),
        pytest.param(512, 512, id="half-too-little"),
        pytest.param(1024, 1024, id="one-too-little"),
        pytest.param(4096, 31744, id="four-above-30gb"),
        pytest.param(8192, 17408, id="eight-off-the-4gb-step"),
        pytest.param(16384, 36864, id="sixteen-off-the-8gb-step"),
        pytest.param(128, 512, id="cpu-not-in-table"),
        pytest.param(32768, 245760, id="cpu-too-large"),
    ],
)
def test_invalid_sizes_get_ecs_message(cpu: int, memory: int) -> None:
    assert validate_fargate_size(cpu, memory) == no_configuration(cpu, memory)


@pytest.mark.parametrize(
    ("os", "cpu", "memory", "valid"),
    [
        pytest.param("windows", 256, 512, False, id="windows-quarter"),
        pytest.param("windows", 512, 1024, False, id="windows-half"),
        pytest.param("windows", 1024, 2048, True, id="windows-one"),
        pytest.param("WINDOWS_SERVER_2022_CORE", 4096, 8192, True, id="windows-family-four"),
        pytest.param("WINDOWS_SERVER_2019_FULL", 8192, 16384, False, id="windows-eight"),
        pytest.param("LINUX", 256, 512, True, id="linux-family"),
    ],
)
def test_windows_needs_at_least_one_vcpu(os: str, cpu: int, memory: int, valid: bool) -> None:
    assert validate_fargate_size(cpu, memory, os) == (None if valid else no_configuration(cpu, memory))


@pytest.mark.parametrize(
    ("cpu", "memory", "message"),
    [
        pytest.param(None, 512, "Fargate requires that 'cpu' be defined at the task level.", id="no-cpu"),
        pytest.param(
            256, None, "Fargate requires that 'memory' be defined at the task level.", id="no-memory"
        ),
        pytest.param(None, None, "Fargate requires that 'cpu' be defined at the task level.", id="neither"),
    ],
)
def test_fargate_needs_task_level_sizes(cpu: int | None, memory: int | None, message: str) -> None:
    assert validate_fargate_size(cpu, memory) == message


def test_the_table_has_the_documented_number_of_memory_sizes() -> None:
    assert {size.cpu: len(size.memory) for size in FARGATE_SIZES} == {
        256: 3,
        512: 4,
        1024: 7,
        2048: 13,
        4096: 23,
        8192: 12,
        16384: 12,
    }


def test_the_unsupported_parameters_are_those_of_the_design() -> None:
    assert [rule.path for rule in FARGATE_UNSUPPORTED_PARAMETERS] == [
        "networkMode",
        "ipcMode",
        "pidMode",
        "volumes[].dockerVolumeConfiguration",
        "containerDefinitions[].privileged",
        "containerDefinitions[].links",
        "containerDefinitions[].disableNetworking",
        "containerDefinitions[].dnsServers",
        "containerDefinitions[].dnsSearchDomains",
        "containerDefinitions[].dockerSecurityOptions",
        "containerDefinitions[].extraHosts",
        "containerDefinitions[].systemControls",
        "containerDefinitions[].resourceRequirements[]",
        "containerDefinitions[].linuxParameters.maxSwap",
        "containerDefinitions[].linuxParameters.swappiness",
        "containerDefinitions[].linuxParameters.capabilities.add",
        "containerDefinitions[].linuxParameters.devices",
        "containerDefinitions[].linuxParameters.sharedMemorySize",
        "containerDefinitions[].linuxParameters.tmpfs",
    ]


WEB = {"name": "web", "image": "nginx"}


@pytest.mark.parametrize(
    ("task_definition", "found"),
    [
        pytest.param({"networkMode": "awsvpc", "containerDefinitions": [WEB]}, [], id="clean"),
        pytest.param({"containerDefinitions": [WEB]}, [], id="network-mode-absent-is-callers-business"),
        pytest.param({"networkMode": "bridge", "containerDefinitions": [WEB]}, ["networkMode"], id="bridge"),
        pytest.param({"pidMode": "task"}, [], id="pid-mode-task-allowed"),
        pytest.param({"pidMode": "host", "ipcMode": "host"}, ["ipcMode", "pidMode"], id="host-namespaces"),
        pytest.param(
            {"containerDefinitions": [WEB, {**WEB, "privileged": True, "links": ["db"]}]},
            ["containerDefinitions[1].privileged", "containerDefinitions[1].links"],
            id="second-container",
        ),
        pytest.param(
            {"containerDefinitions": [{**WEB, "privileged": False, "links": [], "dnsServers": None}]},
            [],
            id="explicit-defaults-are-fine",
        ),
        pytest.param(
            {
                "containerDefinitions": [
                    {
                        **WEB,
                        "linuxParameters": {
                            "capabilities": {"add": ["SYS_PTRACE"], "drop": ["ALL"]},
                            "initProcessEnabled": True,
                            "tmpfs": [{"containerPath": "/tmp", "size": 64}],
                        },
                    }
                ]
            },
            [
                "containerDefinitions[0].linuxParameters.capabilities.add",
                "containerDefinitions[0].linuxParameters.tmpfs",
            ],
            id="linux-parameters",
        ),
        pytest.param(
            {
                "containerDefinitions": [
                    {**WEB, "resourceRequirements": [{"type": "InferenceAccelerator", "value": "x"}]},
                    {**WEB, "resourceRequirements": [{"type": "GPU", "value": "1"}]},
                ]
            },
            ["containerDefinitions[1].resourceRequirements[0]"],
            id="gpu",
        ),
        pytest.param(
            {"volumes": [{"name": "a"}, {"name": "b", "dockerVolumeConfiguration": {"scope": "task"}}]},
            ["volumes[1].dockerVolumeConfiguration"],
            id="docker-volume",
        ),
        pytest.param({"containerDefinitions": "not-a-list"}, [], id="malformed-is-left-to-the-schema"),
    ],
)
def test_find_fargate_unsupported(task_definition: dict[str, Any], found: list[str]) -> None:
    assert find_fargate_unsupported(task_definition) == found
