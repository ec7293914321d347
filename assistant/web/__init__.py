"""The cabin in a browser: a live page of the car and the conversation, served by ``carvoice run``.

``WebView`` (``server.py``) is an aiohttp server on the service's event loop; ``CabinFeed``
(``feed.py``) is one more subscriber of the service's event bus, giving every page a full
snapshot first and then the live events, each page behind its own bounded queue; ``inputs.py``
validates what a page sends. The page itself (``static/``) is plain HTML, CSS and JavaScript:
nothing from a network, no build step.
"""

from assistant.web.server import WebView, is_loopback

__all__ = ["WebView", "is_loopback"]
