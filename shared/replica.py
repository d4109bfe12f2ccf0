"""Who this process is among the replicas of its service, for claims and leases in
Redis that an operator can read: ``[replica@]host:pid``."""
from __future__ import annotations

import os
import socket


def process_identity(replica: str = "") -> str:
    """host:pid (and the replica name): unique per process, readable by an operator."""
    return f"{replica + '@' if replica else ''}{socket.gethostname()}:{os.getpid()}"
