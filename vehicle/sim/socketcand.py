"""A socketcand server (rawmode) that shares one python-can ``virtual`` bus over loopback TCP.

This machine's kernel has no CAN (not even vcan), so ``carvoice sim`` serves this protocol and
every other process uses python-can's stock ``interface="socketcand"`` client. Each TCP client
gets its own virtual bus on the shared channel, so it receives every frame but its own, like a
SocketCAN socket.

Protocol (linux-can/socketcand, rawmode): server ``< hi >``; client ``< open CHANNEL >``;
server ``< ok >``; client ``< rawmode >``; server ``< ok >``; then client ``< send ID LEN B.. >``
and server ``< frame ID SECS.USECS HEXDATA >``. One extension: ``< rawfilter ID MASK .. >``
(see ``vehicle.transport.RAWFILTER``) forwards only matching frames to that client, as a
SocketCAN acceptance filter would, so a flooded bus costs a client nothing it did not ask for.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
import time

import can

from vehicle.transport import RAWFILTER

_LOG = logging.getLogger(__name__)

HANDSHAKE_QUIET = 0.1
"""Seconds between the final ``< ok >`` and the first frame, in seconds.

python-can's client compares each handshake reply with the result of one ``recv()``: a frame
in the same TCP segment as ``< ok >`` would fail its handshake.
"""

MAX_TOKEN = 256
"""Longest protocol token accepted from a client, in characters."""


def frame_token(msg: can.Message) -> bytes:
    """A frame as the server sends it."""
    can_id = f"{msg.arbitration_id:08X}" if msg.is_extended_id else f"{msg.arbitration_id:03X}"
    secs = msg.timestamp or time.time()
    return f"< frame {can_id} {secs:.6f} {bytes(msg.data).hex().upper()} >".encode("ascii")


def parse_rawfilter(token: str) -> list[can.typechecking.CanFilter]:
    """A client's ``< rawfilter ID MASK .. >`` as python-can filters; raises ValueError when malformed."""
    parts = token[1:-1].split()
    if not parts or parts[0] != RAWFILTER or len(parts) % 2 != 1:
        raise ValueError(f"not a rawfilter command: {token!r}")
    pairs = [(int(parts[i], 16), int(parts[i + 1], 16)) for i in range(1, len(parts), 2)]
    if any(not 0 <= v <= 0x1FFFFFFF for pair in pairs for v in pair):
        raise ValueError(f"bad filter: {token!r}")
    return [{"can_id": can_id, "can_mask": mask} for can_id, mask in pairs]


def parse_send(token: str) -> can.Message:
    """A client's ``< send ID LEN B0 B1 .. >`` as a message; raises ValueError when malformed."""
    parts = token[1:-1].split()
    if len(parts) < 3 or parts[0] != "send":
        raise ValueError(f"not a send command: {token!r}")
    can_id = int(parts[1], 16)
    length = int(parts[2], 16)
    data = bytes(int(b, 16) for b in parts[3:])
    if length != len(data) or length > 8 or not 0 <= can_id <= 0x1FFFFFFF:
        raise ValueError(f"bad frame: {token!r}")
    return can.Message(arbitration_id=can_id, data=data, is_extended_id=len(parts[1]) != 3 or can_id > 0x7FF)


class SocketcandServer:
    """Serves one virtual CAN channel to socketcand clients on a loopback TCP port."""

    def __init__(self, bus_channel: str, *, host: str = "127.0.0.1", port: int = 29536, can_name: str = "can0") -> None:
        self.bus_channel = bus_channel
        self.can_name = can_name
        self.frames_forwarded = 0
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((host, port), Handler)
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        """Host and port the server listens on."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> SocketcandServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="socketcand", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop``."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop accepting and close the listening socket."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = sock.getpeername()
        _LOG.info("socketcand client %s connected", peer)
        bus: can.BusABC | None = None
        forwarder: threading.Thread | None = None
        done = threading.Event()
        buf = ""
        opened = False
        try:
            sock.sendall(b"< hi >")
            while not self._closing.is_set():
                chunk = sock.recv(4096)
                if not chunk:
                    break
                buf += chunk.decode("ascii", errors="replace")
                while True:
                    start = buf.find("<")
                    end = buf.find(">", start + 1) if start >= 0 else -1
                    if start < 0 or end < 0:
                        if len(buf) > MAX_TOKEN:
                            _LOG.warning("socketcand client %s sent garbage; dropped %d chars", peer, len(buf))
                            buf = ""
                        break
                    token, buf = buf[start : end + 1], buf[end + 1 :]
                    words = token[1:-1].split()
                    if not words:
                        continue
                    if words[0] == "open":
                        opened = len(words) == 2 and words[1] == self.can_name
                        sock.sendall(b"< ok >" if opened else b"< error could not open bus >")
                    elif words[0] == "rawmode" and opened and bus is None:
                        bus = can.Bus(interface="virtual", channel=self.bus_channel)
                        sock.sendall(b"< ok >")
                        forwarder = threading.Thread(
                            target=self._forward, args=(bus, sock, done), name="socketcand-tx", daemon=True
                        )
                        forwarder.start()
                    elif words[0] == "send" and bus is not None:
                        try:
                            bus.send(parse_send(token))
                        except ValueError as err:
                            _LOG.warning("socketcand client %s: %s", peer, err)
                    elif words[0] == RAWFILTER and bus is not None:
                        try:
                            bus.set_filters(parse_rawfilter(token) or None)
                        except ValueError as err:
                            _LOG.warning("socketcand client %s: %s (still forwarding every frame)", peer, err)
                    elif words[0] == "echo":
                        sock.sendall(b"< echo >")
                    else:
                        _LOG.debug("socketcand client %s: ignored %s", peer, token)
        except (OSError, UnicodeError) as err:
            _LOG.info("socketcand client %s: %s", peer, err)
        finally:
            done.set()
            if forwarder is not None:
                forwarder.join(timeout=1)
            if bus is not None:
                bus.shutdown()
            _LOG.info("socketcand client %s disconnected", peer)

    def _forward(self, bus: can.BusABC, sock: socket.socket, done: threading.Event) -> None:
        time.sleep(HANDSHAKE_QUIET)
        while not done.is_set():
            msg = bus.recv(timeout=0.2)
            if msg is None:
                continue
            batch = [frame_token(msg)]
            while len(batch) < 64:  # coalesce a burst into one write
                more = bus.recv(timeout=0)
                if more is None:
                    break
                batch.append(frame_token(more))
            try:
                sock.sendall(b"".join(batch))
            except OSError:
                return
            self.frames_forwarded += len(batch)
