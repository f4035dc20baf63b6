"""Property-based requests generated from /openapi.json: the node never answers 5xx.

Bounded: a fixed number of derandomised examples per operation, on the in-process app,
half of them with a valid token so that authenticated code paths are reached too.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.http.app import create_app
from network.node import Node
from tests.api.conftest import token

EXAMPLES_PER_OPERATION = 10


@pytest.fixture
def api_schema(demo_home):
    with Node(demo_home) as node:
        yield schemathesis.openapi.from_asgi("/openapi.json", create_app(node))


def test_no_operation_answers_5xx(api_schema, demo_home):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def no_server_error(case):
            if case.headers is None or "Authorization" not in case.headers:
                case.headers = {
                    **(case.headers or {}),
                    "Authorization": f"Bearer {token(demo_home, 'cn-gacc')}",
                }
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()
