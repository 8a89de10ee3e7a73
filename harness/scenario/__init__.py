"""Scenario files: the declarative drill definition, its schema and its semantic checks."""

from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario"]
