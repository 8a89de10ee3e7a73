"""chaosdrill harness: scenario -> runner -> stack/load/faults -> samples -> verification -> report."""

__version__ = "0.1.0"
