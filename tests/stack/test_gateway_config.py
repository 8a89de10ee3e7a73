"""Gateway config: typos rejected, fragile profile and env overrides switch mechanisms off (or on)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stack.config import SWITCHABLE_MECHANISMS, GatewayConfig, apply_overrides

MINIMAL = {"pools": [{"region": "east", "replicas": [{"name": "gpu-0", "url": "http://127.0.0.1:9"}]}]}
OFF_BY_DEFAULT = {"admission", "rate_limit"}  # overload mechanisms: on, they would change existing drills


def _enabled(config: GatewayConfig) -> dict[str, bool]:
    return {name: getattr(config.mechanisms, name).enabled for name in SWITCHABLE_MECHANISMS}


def test_defaults_are_resilient_and_typos_are_rejected() -> None:
    config = apply_overrides(GatewayConfig.model_validate(MINIMAL), {})
    assert _enabled(config) == {name: name not in OFF_BY_DEFAULT for name in SWITCHABLE_MECHANISMS}
    assert set(SWITCHABLE_MECHANISMS) >= OFF_BY_DEFAULT
    with pytest.raises(ValidationError, match="retires"):
        GatewayConfig.model_validate({**MINIMAL, "mechanisms": {"retires": {"enabled": False}}})
    with pytest.raises(ValidationError, match="unique"):
        GatewayConfig.model_validate({"pools": MINIMAL["pools"] * 2})


def test_fragile_profile_and_env_overrides() -> None:
    fragile = apply_overrides(GatewayConfig.model_validate({**MINIMAL, "profile": "fragile"}), {})
    assert not any(_enabled(fragile).values())
    env = {"CHAOSDRILL_GATEWAY_PROFILE": "fragile", "CHAOSDRILL_GATEWAY_RETRIES_ENABLED": "1"}
    mixed = apply_overrides(GatewayConfig.model_validate(MINIMAL), env)
    assert _enabled(mixed) == {name: name == "retries" for name in SWITCHABLE_MECHANISMS}
    overload = {"CHAOSDRILL_GATEWAY_ADMISSION_ENABLED": "1", "CHAOSDRILL_GATEWAY_RATE_LIMIT_ENABLED": "on"}
    switched_on = apply_overrides(GatewayConfig.model_validate(MINIMAL), overload)
    assert all(_enabled(switched_on).values())
    with pytest.raises(ValidationError, match="max_in_flight"):
        GatewayConfig.model_validate({**MINIMAL, "mechanisms": {"admission": {"max_in_flight": 0}}})
    with pytest.raises(ValueError, match="boolean"):
        apply_overrides(GatewayConfig.model_validate(MINIMAL), {"CHAOSDRILL_GATEWAY_DRIFT_ENABLED": "maybe"})
