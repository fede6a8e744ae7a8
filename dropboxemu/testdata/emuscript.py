"""What the Python SDK scenarios share: the line protocol with the Go test
(python_sdk_test.go) and assertions that survive python -O."""

import json


def emit(event, **fields):
    """Print one protocol line: {"event": event, ...fields}."""
    fields["event"] = event
    print(json.dumps(fields), flush=True)


def check(cond, what):
    """Fail the scenario with what unless cond holds."""
    if not cond:
        raise AssertionError(what)
