"""systemd's notification protocol (READY=1, WATCHDOG=1, STOPPING=1): a few lines of socket code."""

from __future__ import annotations

import logging
import os
import socket

_LOG = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send ``state`` to ``$NOTIFY_SOCKET``; False when not run by systemd (or it failed)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as err:
        _LOG.warning("sd_notify %s failed: %s", state, err)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of systemd's WatchdogSec), or None when not asked."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return max(0.5, int(usec) / 1e6 / 2)
    except ValueError:
        return None
