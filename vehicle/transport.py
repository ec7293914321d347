"""How the head unit reaches the bus: python-can interfaces selected by configuration alone."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

import can
from can.interfaces.socketcand import SocketCanDaemonBus

from vehicle.errors import TransportError

# python-can's socketcand client logs every TCP segment boundary inside a frame as a warning, and a
# socket closed by us as an error; the gateway reports transport failures itself
logging.getLogger("can.interfaces.socketcand.socketcand").setLevel(logging.CRITICAL)

RAWFILTER = "rawfilter"
"""carvoice's extension of socketcand's rawmode: ``< rawfilter ID MASK [ID MASK ..] >`` (hex) asks
the server to forward only frames whose ``id & MASK == ID & MASK`` for some pair; no pairs: all."""

DEFAULT_SOCKETCAND_PORT = 29536
"""TCP port of ``carvoice sim``'s socketcand server (socketcand's own default)."""


@dataclass(frozen=True)
class CanTransport:
    """A python-can bus to open: ``virtual`` (in-process), ``socketcand`` (shared over loopback
    by ``carvoice sim``) or ``socketcan`` (``can0`` on a real head unit)."""

    interface: str = "virtual"
    """python-can interface name."""
    channel: str = "carvoice"
    """Virtual channel name, socketcand bus name or SocketCAN device (``can0``)."""
    host: str = "127.0.0.1"
    """socketcand server host."""
    port: int = DEFAULT_SOCKETCAND_PORT
    """socketcand server TCP port."""

    def open(self) -> can.BusABC:
        """Open the bus (blocking: call it off the event loop); raises TransportError."""
        try:
            if self.interface == "socketcand":
                # python-can's client retries connect() in a busy loop for 10 s; probe first.
                with socket.create_connection((self.host, self.port), timeout=1.0):
                    pass
                return _SocketcandBus(channel=self.channel, host=self.host, port=self.port, tcp_tune=True)
            return can.Bus(interface=self.interface, channel=self.channel)
        except (OSError, can.CanError, ValueError, TimeoutError) as err:
            raise TransportError(f"cannot open {self.describe()}: {err}") from err

    def describe(self) -> str:
        """A human-readable name of the transport."""
        if self.interface == "socketcand":
            return f"socketcand {self.channel}@{self.host}:{self.port}"
        return f"{self.interface} {self.channel}"


class _SocketcandBus(SocketCanDaemonBus):  # type: ignore[misc]
    """python-can's socketcand client, plus noticing that the server closed the connection.

    The stock client treats end-of-file as "no frame yet" and spins; the gateway must see a
    lost transport to reconnect.
    """

    def _apply_filters(self, filters: can.typechecking.CanFilters | None) -> None:
        # socketcand's rawmode has no filters; ``carvoice sim`` understands this extension and
        # forwards only matching frames. A stock socketcand answers with an error token that the
        # client drops, and python-can's software filter (still applied) keeps the result right.
        pairs = [f"{f['can_id']:X} {f['can_mask']:X}" for f in filters or ()]
        self._tcp_send(f"< {' '.join([RAWFILTER, *pairs])} >")

    def _recv_internal(self, timeout: float | None) -> tuple[can.Message | None, bool]:
        msg, filtered = super()._recv_internal(timeout)
        if msg is None:
            sock: socket.socket = self._SocketCanDaemonBus__socket  # the client keeps it private
            try:
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    raise can.CanOperationError("socketcand server closed the connection")
            except (BlockingIOError, InterruptedError):
                pass
            except OSError as err:
                raise can.CanOperationError(f"socketcand connection failed: {err}") from err
        return msg, filtered
