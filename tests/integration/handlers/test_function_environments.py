"""Each handler starts with exactly the variables the template gives its function."""

from __future__ import annotations

import pytest

from tests.integration.handlers.harness import FUNCTION_NAMES, Handlers
from tests.support.template import REPO_ROOT, TEMPLATE_PATH, function_variables, resource_properties


@pytest.mark.parametrize("function_dir", sorted(FUNCTION_NAMES))
def test_the_harness_loads_each_handler_from_the_folder_its_function_is_built_from(
    function_dir: str,
) -> None:
    properties = resource_properties(FUNCTION_NAMES[function_dir], "AWS::Serverless::Function")

    assert (TEMPLATE_PATH.parent / properties["CodeUri"]).resolve() == (
        REPO_ROOT / "functions" / function_dir
    )


@pytest.mark.parametrize("function_dir", sorted(FUNCTION_NAMES))
def test_each_handler_starts_with_only_the_variables_of_its_function(
    function_dir: str, handlers: Handlers
) -> None:
    environment = handlers.environment(function_dir)

    assert set(environment) == set(function_variables(FUNCTION_NAMES[function_dir]))
    assert all(value.strip() for value in environment.values())
    # Configuration is read at import: a variable the function needs but is not given
    # fails here, as it would at the function's first cold start.
    handlers.load(function_dir)
