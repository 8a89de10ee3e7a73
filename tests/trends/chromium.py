"""A page loaded in real headless Chromium (Debian's `chromium`), driven over the DevTools protocol: what
it logged to the console, what it threw, and what a script in the page measures of what it rendered."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

CHROMIUM = "chromium"


@dataclass
class LoadedPage:
    console: list[dict[str, Any]] = field(default_factory=list)
    """Console API calls and browser log entries, each {level, text}."""
    exceptions: list[str] = field(default_factory=list)
    measured: Any = None

    @property
    def errors(self) -> list[str]:
        return [*self.exceptions, *(m["text"] for m in self.console if m["level"] in ("error", "assert"))]


class _DevTools:
    def __init__(self, url: str):
        self.socket = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event} within {timeout}s")
            self.events.append(json.loads(self.socket.recv()))


def load_page(page: Path, measure_script: str) -> LoadedPage:
    """Open `page` (a file), wait for its load event and a moment more, run `measure_script` (an
    expression) in it, and return everything the page said on the way."""
    profile = Path(tempfile.mkdtemp(prefix="chaosdrill-chromium-"))
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"]  # fmt: skip
    browser = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = _devtools_port(profile)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            target = next(t for t in json.load(response) if t["type"] == "page")
        tools = _DevTools(target["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            tools.call(f"{domain}.enable")
        tools.call("Page.navigate", url=page.resolve().as_uri())
        tools.wait_for("Page.loadEventFired")
        time.sleep(0.5)  # late errors (a failed resource, a deferred script) arrive after the load event
        measured = tools.call("Runtime.evaluate", expression=measure_script, returnByValue=True)
        tools.socket.close()
        return _collect(tools.events, measured)
    finally:
        browser.terminate()
        browser.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(profile: Path, timeout: float = 30) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


def _collect(events: list[dict[str, Any]], measured: dict[str, Any]) -> LoadedPage:
    loaded = LoadedPage(measured=measured.get("result", {}).get("value"))
    for event in events:
        params = event.get("params", {})
        if event.get("method") == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            loaded.console.append({"level": params["type"], "text": text})
        elif event.get("method") == "Log.entryAdded":
            entry = params["entry"]
            loaded.console.append(
                {"level": entry["level"], "text": f"{entry['text']} ({entry.get('url', '')})"}
            )
        elif event.get("method") == "Runtime.exceptionThrown":
            loaded.exceptions.append(params["exceptionDetails"].get("text", "exception"))
    if "exceptionDetails" in measured:
        loaded.exceptions.append(f"measuring script: {measured['exceptionDetails']}")
    return loaded
