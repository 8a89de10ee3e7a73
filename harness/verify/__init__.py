"""Verification: per-request samples -> per-window SLIs -> recovery times -> expectation verdicts."""
