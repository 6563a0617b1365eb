"""The fault-injection suite (issue 16, testing.md "Faults").

Each seeded run starts its own local control plane, puts Toxiproxy between two or three operator
replicas and the API server, drives a workload while injecting real faults, then waits for the
state read through the API to satisfy `ecs_operator.invariants` and the suite's own checks.
`harness.run_once` is one run; `hack/chaos/run.py` (`make chaos`) runs many and writes a report;
`test_chaos.py` is the short seeded subset `make test` runs.
"""
