"""Fault injectors and the Toxiproxy-compatible proxy that network faults go through."""
