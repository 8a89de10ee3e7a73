"""A Toxiproxy-compatible fault proxy: Toxiproxy 2.x's HTTP API and toxics in pure asyncio Python.

Any Toxiproxy client (``toxiproxy-python`` included) can drive it, so scenarios run unchanged against
this embedded server or a real Toxiproxy.
"""

from .server import ToxiproxyServer, serve

__all__ = ["ToxiproxyServer", "serve"]
