"""The reference ML serving stack: model-server replicas behind a resilient gateway."""
