"""Deploy faults: a canary (possibly a bad one) rolled out through the gateway's control API.

Bad deploys are the most common self-inflicted outage of ML serving; the drill deploys exactly as a CD
pipeline would, so what is verified is the stack's own canary analysis and rollback.
"""

from __future__ import annotations

from typing import Any

import httpx

HARNESS_ROLLBACK_REASON = "drill fault window ended"


class CanaryDeploy:
    """`POST /admin/canary`; cleared by rolling back whatever canary is still active."""

    def __init__(self, gateway_url: str, token: str, version: str, weight: float, timeout_s: float = 10.0):
        self.gateway_url = gateway_url.rstrip("/")
        self.headers = {"X-Admin-Token": token}
        self.version = version
        self.weight = weight
        self.timeout_s = timeout_s
        self.description = f"canary {version} at {weight:.0%}"
        self._deployed = False

    def apply(self) -> dict[str, Any]:
        response = httpx.post(
            f"{self.gateway_url}/admin/canary",
            json={"version": self.version, "weight": self.weight},
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
