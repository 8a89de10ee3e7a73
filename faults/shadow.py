"""Shadow deploys: a candidate mirrored a share of live traffic through the gateway's control API, as a CD
pipeline would before a canary, so a drill verifies that the shadow stays out of the users' path."""

from __future__ import annotations

from typing import Any

import httpx


class ShadowDeploy:
    """`POST /admin/shadow`; cleared by stopping the shadow (which restores the canary replicas)."""

    def __init__(self, gateway_url: str, token: str, version: str, share: float, timeout_s: float = 10.0):
        self.gateway_url = gateway_url.rstrip("/")
        self.headers = {"X-Admin-Token": token}
        self.version = version
        self.share = share
        self.timeout_s = timeout_s
        self.description = f"shadow {version} mirroring {share:.0%}"
        self._deployed = False

    def apply(self) -> dict[str, Any]:
        response = httpx.post(
            f"{self.gateway_url}/admin/shadow",
            json={"version": self.version, "share": self.share},
            headers=self.headers,
            timeout=self.timeout_s,
        )
        response.raise_for_status()
        self._deployed = True
        return {"shadow": response.json()}

    def clear(self) -> None:
        if not self._deployed:
            return
        response = httpx.post(
            f"{self.gateway_url}/admin/shadow/stop", headers=self.headers, timeout=self.timeout_s
        )
        if response.status_code != 409:  # 409: no shadow running any more, nothing to undo
            response.raise_for_status()
        self._deployed = False
