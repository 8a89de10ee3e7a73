"""Deploy faults: a canary (possibly a bad one) or a blue-green switch, through the gateway's control API.

Bad deploys are the most common self-inflicted outage of ML serving; the drill deploys exactly as a CD
pipeline would, so what is verified is the stack's own canary analysis and rollback.
"""

from __future__ import annotations

from typing import Any

import httpx

HARNESS_ROLLBACK_REASON = "drill fault window ended"


class CanaryDeploy:
    """`POST /admin/canary`; cleared by rolling back whatever canary is still active."""

    path = "/admin/canary"

    def __init__(self, gateway_url: str, token: str, version: str, weight: float, timeout_s: float = 10.0):
        self.gateway_url = gateway_url.rstrip("/")
        self.headers = {"X-Admin-Token": token}
        self.payload: dict[str, Any] = {"version": version, "weight": weight}
        self.timeout_s = timeout_s
        self.description = f"canary {version} at {weight:.0%}"
        self._deployed = False

    def apply(self) -> dict[str, Any]:
        response = httpx.post(
            f"{self.gateway_url}{self.path}",
            json=self.payload,
            headers=self.headers,
            timeout=self.timeout_s,
        )
        response.raise_for_status()
        self._deployed = True
        return {"canary": response.json()}

    def clear(self) -> None:
        """Leave the stack as found: roll back a canary the stack has not already rolled back or promoted."""
        if not self._deployed:
            return
        state = httpx.get(f"{self.gateway_url}/admin/state", timeout=self.timeout_s).json()
        if state.get("canary", {}).get("status") == "active":
            httpx.post(
                f"{self.gateway_url}/admin/canary/rollback",
                json={"reason": HARNESS_ROLLBACK_REASON},
                headers=self.headers,
                timeout=self.timeout_s,
            ).raise_for_status()
        self._deployed = False


class BlueGreenSwitch(CanaryDeploy):
    """`POST /admin/blue-green`: all traffic to the idle colour once it is ready with `version`. Cleared as a
    canary is: a switch still on green is rolled back, which switches back to blue. The gateway answers
    once green is ready (up to its `green_ready_timeout_ms`, 10 s by default), hence the longer timeout."""

    path = "/admin/blue-green"

    def __init__(self, gateway_url: str, token: str, version: str, timeout_s: float = 30.0):
        super().__init__(gateway_url, token, version, 1.0, timeout_s)
        self.payload = {"version": version}
        self.description = f"blue-green switch to {version}"
