"""Load generation: real Locust in its own process, every request recorded to disk.

Only `worker`, `users` and `locustfile_users` import locust (gevent monkey-patching must come before
requests/urllib3); everything else in this package is safe to import from the harness's main process.
"""
