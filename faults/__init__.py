"""Faults: the kinds a scenario names (`kinds/`, one module each, see `kind.py`), what they need of a stack
(`capabilities.py`), the injectors they build (`injector.py`; network, node, container, deploy, data), and
the Toxiproxy-compatible proxy that network faults go through (`toxiproxy/`)."""
