"""Ports for the local stack's listeners: free, outside the range outgoing
connections draw from, and never handed out twice."""
from __future__ import annotations

import socket

from services.cli.stack.processes import ephemeral_ports, free_port


def test_free_ports_are_bindable_distinct_and_below_the_ephemeral_range():
    low, high = ephemeral_ports()
    assert 1024 <= low < high
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(port < low for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # free indeed

