"""``WebView``: the page's aiohttp server, on the service's own event loop.

Routes: ``/`` and ``/static/*`` (the page), ``/api/events`` (server-sent events: a snapshot,
then live frames), ``/api/snapshot`` (the same snapshot as one JSON document, for scripts),
and three inputs, each a JSON ``POST``: ``/api/request`` (a typed request as a seat, exactly an
MQTT ``command/text``), ``/api/ptt`` (push-to-talk) and ``/api/sensor`` (simulator only).

Safe to expose: loopback unless configured, and then only with a token, checked on every
request in constant time (``Authorization: Bearer``, ``?token=``, or the ``HttpOnly``,
``SameSite=Strict`` cookie that opening ``/?token=...`` sets); on loopback the ``Host`` must be a
loopback name (no DNS rebinding); state-changing requests must be JSON from the page's own
origin; bodies are size-limited and validated, and a refused input changes nothing. Every
response carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from assistant.bus import EventBus
from assistant.config import WebConfig
from assistant.events import PushToTalkCommand, TextCommand
from assistant.web.feed import CabinFeed, PageQueue
from assistant.web.inputs import InputError, SensorSetting, check_sensor, parse_json, validate

if TYPE_CHECKING:
    from assistant.runtime import Car

_LOG = logging.getLogger(__name__)

SubmitText = Callable[[str, str, str], bool]
"""(text, seat, request id) -> queued; the service's ``submit`` of a typed request."""
PushToTalk = Callable[[str, str], None]
"""(seat, request id): the service's push-to-talk."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
COOKIE = "carvoice_token"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
"""The page's files (package data), served from memory; nothing else is."""
KEEPALIVE_S = 15.0
"""A comment line this often keeps proxies and the browser from closing an idle stream."""
WRITE_TIMEOUT_S = 10.0
"""A page that takes longer than this to take a write is dropped (it reconnects and resyncs)."""
HEALTH_PERIOD_S = 1.0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def page_files() -> dict[str, bytes]:
    """The page's files as shipped in the package."""
    folder = resources.files("assistant.web") / "static"
    return {name: (folder / name).read_bytes() for name in STATIC}


def _secure(headers: MutableMapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


class WebView:
    """The cabin in a browser, served while the service runs."""

    def __init__(self, config: WebConfig, bus: EventBus, car: Car, *, submit_text: SubmitText,
                 push_to_talk: PushToTalk, model_status: Callable[[], dict[str, Any] | None]) -> None:
        self.config = config
        self.car = car
        self.feed = CabinFeed(bus, car, model_status, queue_size=config.queue_size)
        self._submit_text = submit_text
        self._push_to_talk = push_to_talk
        self._files = page_files()
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._streams: set[asyncio.Task[Any]] = set()

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The page's address (without the token)."""
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.config.port}/"

    async def start(self) -> bool:
        """Listen; False (logged as an error, the service runs on) when the configuration or the port forbid it."""
        c = self.config
        if not is_loopback(c.host) and c.token is None:
            _LOG.error("web view not started: web.host %s is not loopback, so web.token is required "
                       "(set CARVOICE_WEB__TOKEN to a secret of at least 16 characters)", c.host)
            return False
        app = web.Application(middlewares=[self._guard], client_max_size=c.max_body_bytes)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/events", self._events)
        app.router.add_get("/api/snapshot", self._snapshot)
        app.router.add_post("/api/request", self._request)
        app.router.add_post("/api/ptt", self._ptt)
        app.router.add_post("/api/sensor", self._sensor)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, c.host, c.port, shutdown_timeout=1.0)
        try:
            await site.start()
        except OSError as err:
            await runner.cleanup()
            _LOG.error("web view not started: cannot listen on %s:%d (%s)", c.host, c.port, err)
            return False
        self._runner = runner
        self.feed.start()
        self._ticker = asyncio.create_task(self._tick(), name="web-health")
        _LOG.info("web view on %s%s", self.url, " (token required)" if c.token else "")
        return True

    async def stop(self) -> None:
        """Close every page's stream and stop listening."""
        self.feed.stop()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        streams = list(self._streams)
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_PERIOD_S)
            self.feed.tick()

    # -- the guard every request passes -------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        try:
            self._check_host(request)
            self._check_token(request)
            if request.method not in ("GET", "HEAD"):
                self._check_origin(request)
            response = await handler(request)
        except InputError as err:
            response = _error(err.status, err.code, str(err))
        except web.HTTPException as exc:
            if exc.status == 413:
                response = _error(413, "too-large", f"the body is over {self.config.max_body_bytes} bytes")
            elif exc.status >= 400:
                response = _error(exc.status, exc.reason.lower().replace(" ", "-"), exc.reason)
            else:
                response = web.Response(status=exc.status, headers=exc.headers)
        if not response.prepared:
            _secure(response.headers)
        return response

    def _check_host(self, request: web.Request) -> None:
        # A page elsewhere can make a browser resolve its own name to 127.0.0.1 (DNS rebinding): on
        # loopback only loopback names are served. Off loopback the token stands guard.
        if not is_loopback(self.config.host):
            return
        try:
            host = request.url.host or ""
        except ValueError:
            host = ""
        if not is_loopback(host):
            raise InputError(f"the page is served to loopback names only, not {request.host[:64]!r}",
                             code="bad-host", status=403)

    def _check_token(self, request: web.Request) -> None:
        token = self.config.token
        if token is None:
            return
        given: str | None = None
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        elif "token" in request.query:
            given = request.query["token"]
        elif COOKIE in request.cookies:
            given = request.cookies[COOKIE]
        if given is None:
            raise InputError("a token is required", code="unauthorized", status=401)
        if not _same(given, token):
            raise InputError("wrong token", code="forbidden", status=403)

    def _check_origin(self, request: web.Request) -> None:
        # Cross-site requests: a browser sends Origin with every POST, and a form from elsewhere
        # cannot send application/json without a preflight this server never answers.
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            raise InputError(f"requests from {origin[:64]!r} are not accepted", code="bad-origin", status=403)
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            raise InputError(f"{site[:32]!r} requests are not accepted", code="bad-origin", status=403)
        if request.content_type != "application/json":
            raise InputError("send application/json", code="bad-content-type", status=415)

    # -- the page -----------------------------------------------------------------------------
    async def _index(self, request: web.Request) -> web.StreamResponse:
        token = self.config.token
        given = request.query.get("token")
        if token is not None and given is not None and _same(given, token):
            # the token goes into a cookie the page's own requests carry, and out of the address bar
            response = web.Response(status=303, headers={"Location": "/"})
            response.set_cookie(COOKIE, given, httponly=True, samesite="Strict", path="/")
            return response
        return self._file("index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == "index.html" or name not in STATIC:
            raise InputError(f"no such file: {name[:64]}", code="not-found", status=404)
        return self._file(name)

    def _file(self, name: str) -> web.Response:
        return web.Response(body=self._files[name], headers={"Content-Type": STATIC[name]})

    async def _snapshot(self, request: web.Request) -> web.Response:
        return web.json_response(self.feed.snapshot(), dumps=_dumps)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if len(self.feed.pages) >= self.config.max_clients:
            raise InputError(f"{self.config.max_clients} pages are open already", code="too-many-pages", status=503)
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
        response.force_close()  # a stream that ends (a shutdown, a stalled page) takes its connection with it
        _secure(response.headers)
        page = self.feed.connect()
        wake = asyncio.Event()
        page.wake = wake.set
        try:
            await response.prepare(request)
            await self._pump(page, wake, response)
        except (ConnectionError, asyncio.CancelledError, TimeoutError):
            pass
        finally:
            self.feed.disconnect(page)
            if task is not None:
                self._streams.discard(task)
        return response

    async def _pump(self, page: PageQueue, wake: asyncio.Event, response: web.StreamResponse) -> None:
        """Write the page's frames as they come; a snapshot first and after an overflow."""
        while not page.closed:
            frames = self.feed.take(page)
            if frames:
                await asyncio.wait_for(response.write(b"".join(frames)), WRITE_TIMEOUT_S)
                continue
            wake.clear()
            if page.frames or page.resync:
                continue
            try:
                await asyncio.wait_for(wake.wait(), KEEPALIVE_S)
            except TimeoutError:
                await asyncio.wait_for(response.write(b": keepalive\n\n"), WRITE_TIMEOUT_S)

    # -- inputs -------------------------------------------------------------------------------
    async def _body(self, request: web.Request) -> Any:
        length = request.content_length
        if length is not None and length > self.config.max_body_bytes:
            raise InputError(f"the body is over {self.config.max_body_bytes} bytes", code="too-large", status=413)
        return parse_json(await request.read())

    async def _request(self, request: web.Request) -> web.Response:
        command = validate(TextCommand, await self._body(request))
        interaction = str(command.id)[:64] if command.id is not None else f"web-{uuid.uuid4().hex[:8]}"
        if not self._submit_text(command.text, command.seat, interaction):
            raise InputError("too many requests are waiting; try again", code="busy", status=503)
        self.feed.note_request(interaction, command.text, command.seat)
        return web.json_response({"id": interaction, "seat": command.seat}, status=202)

    async def _ptt(self, request: web.Request) -> web.Response:
        command = validate(PushToTalkCommand, await self._body(request))
        interaction = str(command.id)[:64] if command.id is not None else f"web-{uuid.uuid4().hex[:8]}"
        self._push_to_talk(command.seat, interaction)
        return web.json_response({"id": interaction, "seat": command.seat}, status=202)

    async def _sensor(self, request: web.Request) -> web.Response:
        setting = validate(SensorSetting, await self._body(request))
        simulator = self.car.simulator
        if simulator is None:
            raise InputError("the car is not the simulator: its sensors are read, not set", code="no-simulator",
                             status=409)
        value = check_sensor(self.car.gateway.catalog, setting)
        started = time.perf_counter()
        # the simulator's own setter, as ``carvoice sim --set`` uses: it validates again and reports at once
        await asyncio.get_running_loop().run_in_executor(None, simulator.set, setting.path, value)
        _LOG.info("web: simulator %s = %r (%.1f ms)", setting.path, value, (time.perf_counter() - started) * 1000)
        return web.json_response({"path": setting.path, "value": value}, status=202)


def _same(given: str, token: str) -> bool:
    """Constant-time comparison (a wrong token's length or first bytes tell nothing)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)
