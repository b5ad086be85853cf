"""Schemathesis over the whole OpenAPI schema, against a real server: no 5xx, and every
response matches its documented status, content type and schema.

Runs the schema's explicit examples and generated cases (valid and invalid), at least a few
hundred in all. `positive_data_acceptance` is left out: a body can fit the schema and still be
wrong in a way a JSON schema cannot state (a character outside the model's vocabulary, weights
of the wrong shape), and a 422 is the right answer to it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from server.main import create_app
from tests.server_process import running_server

CASES_PER_OPERATION = 60
counted: list[str] = []


# Training streams run to their end: few updates keep every generated run short (more get their
# documented 422), while the default model and task sizes stay allowed.
SMALL_TRAINING = {"UNROLLED_MAX_TRAIN_STEPS": "20", "UNROLLED_MAX_COMPARE_RUNS": "4"}


@pytest.fixture(scope="module")
def served_url() -> Iterator[str]:
    with running_server(env=SMALL_TRAINING) as server:
        yield server.url


schema = schemathesis.openapi.from_dict(create_app().openapi())  # what /openapi.json serves


@schema.parametrize()
@settings(
    max_examples=CASES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, served_url):
    counted.append(case.operation.label)
    case.call_and_validate(
        base_url=served_url, excluded_checks=[positive_data_acceptance], timeout=60
    )


def test_fuzzing_ran_a_few_hundred_cases():
    """Runs after the parametrized test (pytest keeps file order): the fuzzing was not empty."""
    assert len(counted) >= 300, f"only {len(counted)} cases ran"
    assert len(set(counted)) >= 5, sorted(set(counted))
