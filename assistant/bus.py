"""The in-process event bus: every event of the service, to every subscriber (MQTT, the web view, logs).

Subscribers are plain callables run on the event loop's thread, in subscription order; one that
raises is logged and the others still get the event. A subscriber that does slow work queues the
event itself (the MQTT link and the web view each keep a bounded queue). The bus keeps the last
events so that a subscriber joining late (a page opened mid-drive) can be given the conversation
so far.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from assistant.events import Event

_LOG = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]

RECENT = 300
"""Events kept for late subscribers."""


class EventBus:
    """Publish/subscribe of ``Event``s within the process."""

    def __init__(self, keep: int = RECENT) -> None:
        self._subscribers: list[Subscriber] = []
        self._recent: deque[Event] = deque(maxlen=keep)
        self.published = 0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event from now on; returns the function that unsubscribes."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscriber (call it on the event loop's thread)."""
        self.published += 1
        self._recent.append(event)
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # noqa: BLE001 - one broken subscriber must not silence the others
                _LOG.exception("event subscriber %r failed", subscriber)

    def recent(self) -> list[Event]:
        """The last events, oldest first."""
        return list(self._recent)
