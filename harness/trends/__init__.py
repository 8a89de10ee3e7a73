"""`chaosdrill trends`: the run history as one self-contained HTML page of plots over time."""
