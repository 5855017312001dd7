"""Each handler starts with exactly the variables the template gives its function."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.handlers.harness import FUNCTION_NAMES, Aws, Handlers
from tests.support.intrinsics import Intrinsics
from tests.support.template import (
    REPO_ROOT,
    TEMPLATE_PATH,
    function_variables,
    load_template,
    resource_properties,
)


@pytest.mark.parametrize("function_dir", sorted(FUNCTION_NAMES))
def test_the_harness_loads_each_handler_from_the_folder_its_function_is_built_from(
    function_dir: str,
) -> None:
    properties = resource_properties(FUNCTION_NAMES[function_dir], "AWS::Serverless::Function")

    assert (TEMPLATE_PATH.parent / properties["CodeUri"]).resolve() == (
        REPO_ROOT / "functions" / function_dir
    )


def test_the_harness_loads_a_handler_for_every_function_of_the_template() -> None:
    functions = load_template()["Resources"]
    declared = {name for name, r in functions.items() if r["Type"] == "AWS::Serverless::Function"}

    assert set(FUNCTION_NAMES.values()) == declared


@pytest.mark.parametrize("database", ["url", "secret"])
@pytest.mark.parametrize("function_dir", sorted(FUNCTION_NAMES))
def test_each_handler_starts_with_only_the_variables_of_its_function(
    function_dir: str,
    database: str,
    handlers_for: Callable[..., Handlers],
    aws: Aws,
    database_url: str,
) -> None:
    parameters = (
        {"DatabaseSecretArn": aws.database_secret(database_url)} if database == "secret" else {}
    )
    handlers = handlers_for(**parameters)
    environment = handlers.environment(function_dir)

    variables = function_variables(FUNCTION_NAMES[function_dir])
    expected = Intrinsics(load_template(), parameters).decide(variables)
    assert set(environment) == set(expected)
    assert all(value.strip() for value in environment.values())
    # The database is named one way only: the secret on AWS, the URL locally.
    assert not {"DATABASE_URL", "DATABASE_SECRET_ARN"} <= set(environment)
    # Configuration is read at import: a variable the function needs but is not given
    # fails here, as it would at the function's first cold start.
    handlers.load(function_dir)
