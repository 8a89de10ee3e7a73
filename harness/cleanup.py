"""`chaosdrill cleanup`: remove what killed runs left behind, and nothing a live run still uses.

By default only runs whose harness process is gone are cleaned: containers say whose they are in their
labels, proxies on a shared Toxiproxy server in their names (`chaosdrill-<run id>-<node>`), the user's own
processes in their environment (`CHAOSDRILL_RUN`), and the run registry knows which Toxiproxy server each
run used. `--run-id` picks one run (alive or not), `--all`
takes everything chaosdrill ever made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlparse

import psutil

from harness.errors import HarnessError
from harness.run_identity import RunIdentity, marked_identity, proxy_run_id
from harness.run_registry import forget, registered_runs


@dataclass(frozen=True)
class CleanupScope:
    run_id: str | None = None
    everything: bool = False

    def wants(self, run_id: str, identity: RunIdentity | None) -> bool:
        """A run's leftovers are removed if picked by id, by --all, or if nothing shows its harness alive."""
        if self.run_id is not None:
            return run_id == self.run_id
        return self.everything or identity is None or not identity.harness_alive()


@dataclass
class CleanupResult:
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """What could not be looked at (no Docker engine, a Toxiproxy server that does not answer)."""


def cleanup(scope: CleanupScope, toxiproxy_urls: list[str]) -> CleanupResult:
    result = CleanupResult()
    runs = {run.identity.run_id: run for run in registered_runs()}
    urls = dict.fromkeys(toxiproxy_urls)
    for run_id, run in runs.items():
        if run.toxiproxy_url and scope.wants(run_id, run.identity):
            urls[run.toxiproxy_url] = None
    identities = {run_id: run.identity for run_id, run in runs.items()}
    for url in urls:
        _remove_proxies(url, scope, identities, result)
    _remove_containers(scope, result)
    _remove_processes(scope, result)
    for run_id, run in runs.items():
        if scope.wants(run_id, run.identity) and not run.identity.harness_alive():
            forget(run_id)
    return result


def _remove_proxies(
    url: str, scope: CleanupScope, identities: dict[str, RunIdentity], result: CleanupResult
) -> None:
    from toxiproxy import Toxiproxy

    parsed = urlparse(url)
    client = Toxiproxy()
    try:
        client.update_api_consumer(parsed.hostname, parsed.port)
        proxies = client.proxies()
    except Exception as exc:  # the client raises requests' errors for a server that is not there
        result.skipped.append(f"toxiproxy {url}: {type(exc).__name__}: {exc}")
        return
    for name, proxy in sorted(proxies.items()):
        run_id = proxy_run_id(name)
        if run_id is None or not scope.wants(run_id, identities.get(run_id)):
            continue
        try:
            proxy.destroy()
            result.removed.append(f"proxy {name} on {url}")
        except Exception as exc:
            result.failed.append(f"proxy {name} on {url}: {exc}")


def _remove_processes(scope: CleanupScope, result: CleanupResult) -> None:
    """Processes a run started for a user's stack carry its identity in their environment; what outlived
    a SIGKILLed harness (a server's workers: only the harness's direct children die with it) is killed."""
    for process in psutil.process_iter(["pid", "name"]):
        try:
            identity = marked_identity(process.environ())
        except psutil.Error:  # gone meanwhile, a zombie, or another user's: not ours to judge
            continue
        if identity is None or process.pid == os.getpid() or not scope.wants(identity.run_id, identity):
            continue
        try:
            process.kill()
            result.removed.append(f"process {process.pid} ({process.info['name']}) of run {identity.run_id}")
        except psutil.NoSuchProcess:
            pass
        except psutil.Error as exc:
            result.failed.append(f"process {process.pid} of run {identity.run_id}: {exc}")


def _remove_containers(scope: CleanupScope, result: CleanupResult) -> None:
    from harness.backends.docker_cleanup import labelled_runs, remove_labelled
    from harness.backends.docker_client import docker_client

    try:
        client = docker_client(timeout_s=10)
    except HarnessError as exc:
        result.skipped.append(f"docker: {exc}")
        return
    for run_id, identity in sorted(labelled_runs(client).items()):
        if scope.wants(run_id, identity):
            removed = remove_labelled(client, run_id)
            result.removed += removed.removed
            result.failed += removed.failed
