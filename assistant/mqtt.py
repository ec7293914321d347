"""MQTT with aiomqtt: events and retained vehicle state out, commands in; survives the broker going away.

aiomqtt is the maintained successor of asyncio-mqtt (which no longer works with paho-mqtt 2).
Reconnection is an explicit loop with backoff. Outgoing events wait in a bounded queue
(``queue_size``; the oldest are dropped and counted when it is full); vehicle state is not
queued during an outage but republished in full, retained, on every (re)connect, so screens
always converge on the car's real state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt
from pydantic import BaseModel, ValidationError

from assistant.events import COMMANDS, ErrorEvent, Event
from vehicle.signals import VssValue

_LOG = logging.getLogger(__name__)

CommandHandler = Callable[[str, BaseModel], Awaitable[None]]


@dataclass(frozen=True)
class MqttSettings:
    """Broker connection (built from the configuration's ``[mqtt]`` section)."""

    host: str
    port: int
    vehicle_id: str
    topic_prefix: str = "carvoice"
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    queue_size: int = 1000
    max_payload_bytes: int = 16384
    client_id: str | None = None

    @property
    def base(self) -> str:
        """``carvoice/<vehicle id>``."""
        return f"{self.topic_prefix}/{self.vehicle_id}"


@dataclass
class MqttStats:
    """Counters of the link."""

    connects: int = 0
    published: int = 0
    dropped_events: int = 0
    bad_commands: int = 0
    state_messages: int = 0


class CommandError(ValueError):
    """A command message that cannot be served (unknown topic, too big, malformed)."""


def decode_command(name: str, payload: bytes, max_bytes: int) -> BaseModel:
    """The command model of a message on ``<base>/command/<name>``; raises CommandError."""
    model = COMMANDS.get(name)
    if model is None:
        raise CommandError("unknown command topic")
    if len(payload) > max_bytes:
        raise CommandError(f"payload of {len(payload)} bytes is over the limit")
    try:
        data: Any = json.loads(payload.decode("utf-8")) if payload.strip() else {}
        return model.model_validate(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValidationError) as err:
        raise CommandError(f"malformed payload: {str(err).splitlines()[0]}") from err


def payload_id(payload: bytes, max_bytes: int) -> str | None:
    """The ``id`` a rejected command carried, so that its error event names the request it answers."""
    if len(payload) > max_bytes:
        return None
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    given = data.get("id") if isinstance(data, dict) else None
    if isinstance(given, bool) or not isinstance(given, (str, int)):
        return None
    return str(given)[:64]


def _release(client: aiomqtt.Client) -> None:
    """Close what a connection attempt left open, now, while the event loop still runs.

    aiomqtt closes the socket on a clean exit only: a refused CONNACK, a timeout or a cancel
    mid-connect (aiomqtt#377) leave paho's socket to its ``__del__``, which runs whenever the
    collector gets to it (one leaked descriptor per retry meanwhile) and then calls back into an
    event loop that may be closed by then. Closing it here removes the reader from the live loop;
    unhooking the callback keeps a socket that a still-running connect thread opens later from
    reaching a dead loop.
    """
    paho = client._client  # noqa: SLF001 - aiomqtt offers no public close
    with contextlib.suppress(Exception):
        paho._reset_sockets()  # noqa: SLF001
    paho.on_socket_open = None
    paho.on_socket_close = None
    paho.on_socket_register_write = None
    paho.on_socket_unregister_write = None


class MqttLink:
    """One broker connection, kept alive for the life of the service."""

    def __init__(self, settings: MqttSettings, snapshot: Callable[[], dict[str, VssValue]],
                 on_command: CommandHandler) -> None:
        self.settings = settings
        self._snapshot = snapshot
        self._on_command = on_command
        self._queue: asyncio.Queue[tuple[str, bytes, bool]] = asyncio.Queue(maxsize=settings.queue_size)
        self._client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.stats = MqttStats()
        self._stopping = False
        self.last_error: str | None = None
        self._statuses: dict[str, bytes] = {}

    # -- publishing (never blocks the caller) ---------------------------------------------------
    def publish_event(self, event: Event) -> None:
        """Queue an event for ``<base>/event/<type>``."""
        self._enqueue(f"{self.settings.base}/event/{event.type}", event.model_dump_json().encode(), False)

    def publish_state(self, path: str, value: VssValue) -> None:
        """Queue a retained state update (skipped while disconnected: the reconnect republishes all)."""
        if self.connected.is_set():
            self._enqueue(f"{self.settings.base}/state/{path}", json.dumps(value).encode(), True)

    def publish_status(self, component: str, status: dict[str, Any]) -> None:
        """Queue a component's retained status (``<base>/status/<component>``), republished on reconnect."""
        payload = json.dumps(status).encode()
        self._statuses[component] = payload
        if self.connected.is_set():
            self._enqueue(f"{self.settings.base}/status/{component}", payload, True)

    def _enqueue(self, topic: str, payload: bytes, retain: bool) -> None:
        while True:
            try:
                self._queue.put_nowait((topic, payload, retain))
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self._queue.get_nowait()
                    self.stats.dropped_events += 1

    # -- the connection loop ----------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, serve, and reconnect with backoff until ``stop``."""
        delay = 0.5
        s = self.settings
        while not self._stopping:
            client = self._client_for(s)
            try:
                async with client:
                    self._client = client
                    await client.subscribe(f"{s.base}/command/#", qos=1)
                    for path, value in self._snapshot().items():
                        await client.publish(f"{s.base}/state/{path}", json.dumps(value).encode(), qos=1, retain=True)
                        self.stats.state_messages += 1
                    for component, payload in list(self._statuses.items()):
                        await client.publish(f"{s.base}/status/{component}", payload, qos=1, retain=True)
                    # "online" last: a screen that sees it may send commands and read complete state
                    await client.publish(f"{s.base}/status", b"online", qos=1, retain=True)
                    self.stats.connects += 1
                    self.connected.set()
                    self.last_error = None
                    delay = 0.5
                    _LOG.info("MQTT connected to %s:%d", s.host, s.port)
                    sender = asyncio.create_task(self._send(client))
                    try:
                        await self._receive(client)
                    finally:
                        sender.cancel()
                        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                            await sender
            except aiomqtt.MqttError as err:
                first = self.last_error is None
                self.last_error = str(err)
                if not self._stopping:
                    # say it once loudly, then quietly while it stays away
                    _LOG.log(logging.WARNING if first else logging.INFO,
                             "MQTT %s:%d unavailable (%s); retrying in %.1f s", s.host, s.port, err, delay)
            finally:
                self.connected.clear()
                self._client = None
                _release(client)
            if self._stopping:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    def _client_for(self, s: MqttSettings) -> aiomqtt.Client:
        tls = None
        if s.tls:
            tls = ssl.create_default_context(cafile=s.ca_file)
        return aiomqtt.Client(
            s.host, s.port, username=s.username, password=s.password, identifier=s.client_id,
            will=aiomqtt.Will(f"{s.base}/status", b"offline", qos=1, retain=True),
            tls_context=tls, timeout=5, keepalive=15, max_queued_incoming_messages=100,
            # QoS 1 request/response on loopback waits 44-88 ms on Nagle without this
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            topic, payload, retain = await self._queue.get()
            try:
                await client.publish(topic, payload, qos=1, retain=retain)
            except aiomqtt.MqttError:
                # put it back in front of the line? the queue is FIFO; keep it simple and bounded
                self._enqueue(topic, payload, retain)
                raise
            self.stats.published += 1
            if retain:
                self.stats.state_messages += 1

    async def _receive(self, client: aiomqtt.Client) -> None:
        prefix = f"{self.settings.base}/command/"
        async for message in client.messages:
            topic = str(message.topic)
            raw = message.payload
            payload = bytes(raw) if isinstance(raw, (bytes, bytearray)) else str(raw or "").encode()
            name = topic[len(prefix):] if topic.startswith(prefix) else ""
            try:
                command = decode_command(name, payload, self.settings.max_payload_bytes)
            except CommandError as err:
                self._reject(topic, str(err), payload_id(payload, self.settings.max_payload_bytes))
                continue
            await self._on_command(name, command)

    def _reject(self, topic: str, why: str, interaction: str | None = None) -> None:
        self.stats.bad_commands += 1
        _LOG.warning("dropped MQTT message on %s: %s", topic, why)
        self.publish_event(ErrorEvent(code="bad-command", message=f"{topic}: {why}", interaction=interaction))

    async def stop(self) -> None:
        """Publish ``offline`` (retained) and disconnect."""
        self._stopping = True
        client = self._client
        if client is not None and self.connected.is_set():
            with contextlib.suppress(aiomqtt.MqttError, asyncio.TimeoutError):
                await asyncio.wait_for(
                    client.publish(f"{self.settings.base}/status", b"offline", qos=1, retain=True), 2)
