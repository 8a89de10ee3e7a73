"""Faults layered on one model server: clearing one undoes only its own effect (regression: it wiped all)."""

from __future__ import annotations

import httpx

from faults.kinds.model_server import ErrorBurstParams, SlowdownParams
from faults.node import AdminFault
from tests.stack.conftest import ADMIN_TOKEN, StackLauncher


def active_faults(url: str) -> dict[str, object]:
    return httpx.get(f"{url}/admin/faults", headers={"X-Admin-Token": ADMIN_TOKEN}).json()


def test_clearing_one_admin_fault_keeps_the_other(stack: StackLauncher) -> None:
    replica = stack.model_servers([{"name": "gpu-0"}])[0]
    burst = AdminFault(replica.url, ADMIN_TOKEN, "gpu-0", ErrorBurstParams(rate=0.5).admin_body())
    slow = AdminFault(replica.url, ADMIN_TOKEN, "gpu-0", SlowdownParams(factor=4).admin_body())
    hang = AdminFault(replica.url, ADMIN_TOKEN, "gpu-0", {"hang": True})
    burst.apply()
    slow.apply()
    hang.apply()
    layered = active_faults(replica.url)
    assert (layered["error_rate"], layered["slowdown"], layered["hang"]) == (0.5, 4.0, True)

    burst.clear()
    after_burst = active_faults(replica.url)
    assert (after_burst["error_rate"], after_burst["slowdown"], after_burst["hang"]) == (0.0, 4.0, True)

    hang.clear()
    after_hang = active_faults(replica.url)
    assert (after_hang["error_rate"], after_hang["slowdown"], after_hang["hang"]) == (0.0, 4.0, False)

    slow.clear()
    slow.clear()  # idempotent: a second clear (teardown after the timeline) changes nothing
    assert active_faults(replica.url)["slowdown"] == 1.0
