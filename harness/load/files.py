"""File names inside a load run's output directory, shared by the worker and its controlling process."""

from __future__ import annotations

CONFIG_FILE = "load-config.json"
SAMPLES_FILE = "samples.csv"
SUMMARY_FILE = "load.json"
LOG_FILE = "load.log"
READY_FILE = "worker.ready"
"""Written by the worker once Locust is imported and users can be spawned: start-up has succeeded."""
FEATURES_FILE = "features.csv"
"""Every instance sent, with its intended send time: the ground truth for drift measurement."""
ERROR_SAMPLES_FILE = "error_samples.jsonl"
"""Per (status, error class): the count and the first few different failed answers."""
