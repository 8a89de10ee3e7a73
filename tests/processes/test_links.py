"""The shared link machinery on the real embedded proxy: links named for the run, cut and restored, all
removed on close, which never raises; a Toxiproxy URL that does not answer is one line naming the field."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import httpx
import pytest

from harness.backends.links import Links
from harness.backends.processes import free_port
from harness.errors import HarnessError


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def reachable(address: str) -> bool:
    try:
        return httpx.get(f"http://{address}/", timeout=1.0).text == "ok"
    except httpx.HTTPError:
        return False


def test_a_link_is_named_for_the_run_cut_restored_and_removed(upstream: str, tmp_path: Path) -> None:
    links = Links("abcd1234", None, tmp_path / "logs")
    try:
        links.start(time.monotonic() + 20, 20)
        address = links.create("gpu-0", upstream)
        assert links.proxy("gpu-0").name == "chaosdrill-abcd1234-gpu-0" and reachable(address)
        cut = links.disconnect("gpu-0")
        assert cut == {"node": "gpu-0", "link": "chaosdrill-abcd1234-gpu-0", "enabled": False}
        assert not reachable(address)
        links.reconnect("gpu-0")
        assert reachable(address)
        server = links.server
        assert server is not None and links.pids() == {"toxiproxy": server.pid}
    finally:
        links.close()
    assert links.proxies == {} and not server.alive and not reachable(address)


def test_close_never_raises_even_when_the_proxy_server_died(upstream: str, tmp_path: Path) -> None:
    links = Links("abcd1234", None, tmp_path / "logs")
    links.start(time.monotonic() + 20, 20)
    links.create("gpu-0", upstream)
    assert links.server is not None
    links.server.kill()
    links.close()
    assert links.proxies == {}


def test_a_toxiproxy_url_nobody_answers_is_one_line_naming_the_field(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(HarnessError, match=rf"^toxiproxy.url: no Toxiproxy API answers at {url}: "):
        Links("abcd1234", url, tmp_path / "logs").start(time.monotonic() + 5, 5)
