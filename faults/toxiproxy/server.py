"""Running the Toxiproxy-compatible server: in a background thread (embedded) or in the foreground (CLI).

The API has no authentication, like upstream Toxiproxy: whoever reaches it can redirect traffic through
new proxies or cut it. So it serves on loopback only unless the operator passes ``allow_remote``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from types import TracebackType

from .addresses import format_address
from .api import ToxiproxyApi
from .http11 import Timeouts


async def _shutdown(api: ToxiproxyApi) -> None:
    """Close the API and every proxy, then let the aborted sockets report in and cancel what is left."""
    await api.close()
    for _ in range(3):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


async def _count_other_tasks() -> int:
    return len(asyncio.all_tasks()) - 1


class ToxiproxyServer:
    """The proxy and its API on their own event loop in a daemon thread, for use inside another process."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8474,
        allow_remote: bool = False,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.allow_remote = allow_remote
        self.timeouts = timeouts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{format_address(self.host, self.port)}"

    def start(self) -> None:
        """Return once the API socket listens; a ``ServeError`` is raised here, in the caller's thread."""
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            api = ToxiproxyApi(self.allow_remote, self.timeouts)
            try:
                self.port = loop.run_until_complete(api.start(self.host, self.port))
            except BaseException as exc:  # handed to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(_shutdown(api))
            loop.close()

        thread = threading.Thread(target=run, name="toxiproxy-server", daemon=True)
        thread.start()
        ready.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._loop, self._thread = loop, thread

    def stop(self) -> None:
        """Close the API, every listener and every live connection; safe to call twice."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._thread = None
        self._loop = None

    def pending_tasks(self) -> int:
        """Tasks alive on the server's loop, so a leak check can compare counts before and after traffic."""
        if self._loop is None:
            return 0
        return asyncio.run_coroutine_threadsafe(_count_other_tasks(), self._loop).result(timeout=10)

    def __enter__(self) -> ToxiproxyServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


async def _serve_until_signalled(host: str, port: int, allow_remote: bool) -> None:
    api = ToxiproxyApi(allow_remote)
    bound = await api.start(host, port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    if allow_remote:
        print(
            f"warning: --allow-remote: the Toxiproxy API on {format_address(host, bound)} has no "
            "authentication, and proxies may listen on any address; anyone who reaches it can redirect "
            "or cut traffic",
            file=sys.stderr,
            flush=True,
        )
    # The first line on stdout tells a parent process (and a person) where the API is.
    print(f"toxiproxy API listening on http://{format_address(host, bound)}", flush=True)
    try:
        await stopping.wait()
    finally:
        await _shutdown(api)


def serve(host: str, port: int, allow_remote: bool = False) -> None:
    """Run the server in the foreground until SIGINT or SIGTERM; ``ServeError`` if it cannot start."""
    asyncio.run(_serve_until_signalled(host, port, allow_remote))
