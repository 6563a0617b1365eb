"""The only package that talks to the Kubernetes API server.

Everything here maps the `kubernetes` client's errors to our own (`errors.py`) at the boundary,
and every write of shared state carries the resourceVersion it was computed from.
"""
