"""The local control plane's port picker (hack/controlplane/localcp.py), without starting anything."""

from __future__ import annotations

import socket

import localcp


def test_ports_are_distinct_and_free_when_returned() -> None:
    names = tuple(f"c{i}" for i in range(12))
    ports = localcp.free_ports(names)
    assert sorted(ports) == sorted(names)
    assert len(set(ports.values())) == len(names)
    for port in ports.values():  # released: each can be bound by the component it is for
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
