"""``infra/template.yaml`` as data, so tests build their resources from it.

The template uses CloudFormation's short tags (``!Ref``, ``!Sub``, ``!If``...), which a
plain YAML loader refuses. ``load_template`` turns each into its long form (``{"Ref": x}``,
``{"Fn::Sub": x}``), which is what CloudFormation itself sees.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "infra" / "template.yaml"

# Properties of AWS::DynamoDB::Table that create_table takes under the same name and shape.
_SAME_SHAPE_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "TableClass",
    "DeletionProtectionEnabled",
    "Tags",
)
# Properties applied after the table exists, or that do not change how it behaves locally.
_PROPERTIES_NOT_FOR_CREATE_TABLE = ("TimeToLiveSpecification", "TableName")
# Properties of AWS::SQS::Queue that create_queue takes as attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


class CloudFormationLoader(yaml.SafeLoader):
    """A safe YAML loader that also reads CloudFormation's short-form intrinsic functions."""


def _long_form(loader: CloudFormationLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)

    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        # The short form writes "Resource.Attribute"; the long form is a two-item list.
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _long_form)


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        loaded = yaml.load(stream, Loader=CloudFormationLoader)  # noqa: S506 - a safe loader
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} does not hold a YAML mapping; is it a CloudFormation template?")
    return loaded


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as nested dicts and lists; cached, so do not modify what it returns."""
    return _load(path)


def resources_of_type(resource_type: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Every resource of one type, by logical id."""
    resources = load_template(path)["Resources"]
    return {name: r for name, r in resources.items() if r["Type"] == resource_type}


def resource_properties(
    logical_id: str, resource_type: str, path: Path = TEMPLATE_PATH
) -> dict[str, Any]:
    """The ``Properties`` of one resource, checking that it has the type the caller expects."""
    resources = load_template(path)["Resources"]
    if logical_id not in resources:
        raise KeyError(f"{path.name} has no resource {logical_id!r}; it has {sorted(resources)}")
    resource = resources[logical_id]
    if resource["Type"] != resource_type:
        raise ValueError(f"{logical_id} is a {resource['Type']}, not a {resource_type}")
    return dict(resource.get("Properties", {}))


def dynamodb_table_kwargs(
    resource_name: str, table_name: str | None = None, path: Path = TEMPLATE_PATH
) -> dict[str, Any]:
    """boto3 ``create_table`` arguments for an ``AWS::DynamoDB::Table`` of the template.

    ``table_name`` replaces the name CloudFormation would generate (tests pass a unique
    one); without it the template's ``TableName`` must be a plain string. A property this
    function does not know how to convert raises ``NotImplementedError`` naming it, so the
    template cannot gain a setting that tests silently leave out.
    """
    properties = resource_properties(resource_name, "AWS::DynamoDB::Table", path)
    unknown = set(properties) - {
        *_SAME_SHAPE_TABLE_PROPERTIES,
        *_PROPERTIES_NOT_FOR_CREATE_TABLE,
        "StreamSpecification",
        "SSESpecification",
    }
    if unknown:
        raise NotImplementedError(
            f"dynamodb_table_kwargs cannot convert {sorted(unknown)} of {resource_name}; "
            "teach tests/support/template.py how create_table takes them"
        )

    kwargs = {key: properties[key] for key in _SAME_SHAPE_TABLE_PROPERTIES if key in properties}
    kwargs["TableName"] = table_name or _plain_string(properties, "TableName", resource_name)
    if "StreamSpecification" in properties:
        view_type = properties["StreamSpecification"]["StreamViewType"]
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    if "SSESpecification" in properties:
        sse = properties["SSESpecification"]
        kwargs["SSESpecification"] = {
            "Enabled": sse["SSEEnabled"],
            **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
            **({"KMSMasterKeyId": sse["KMSMasterKeyId"]} if "KMSMasterKeyId" in sse else {}),
        }
    _refuse_intrinsics(kwargs, resource_name)
    return kwargs


def dynamodb_time_to_live(resource_name: str, path: Path = TEMPLATE_PATH) -> dict[str, Any] | None:
    """The table's ``TimeToLiveSpecification``, in the shape ``update_time_to_live`` takes."""
    properties = resource_properties(resource_name, "AWS::DynamoDB::Table", path)
    spec = properties.get("TimeToLiveSpecification")
    if spec is None:
        return None
    return {"AttributeName": spec["AttributeName"], "Enabled": bool(spec["Enabled"])}


def create_dynamodb_table(client: Any, resource_name: str, table_name: str) -> str:
    """Creates the template's table under ``table_name``, with its TTL; returns the name."""
    client.create_table(**dynamodb_table_kwargs(resource_name, table_name))
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    ttl = dynamodb_time_to_live(resource_name)
    if ttl is not None:
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
    return table_name


def sqs_queue_attributes(resource_name: str, path: Path = TEMPLATE_PATH) -> dict[str, str]:
    """``create_queue`` attributes for an ``AWS::SQS::Queue`` of the template.

    A property this function cannot convert raises ``NotImplementedError`` naming it, as
    for tables.
    """
    properties = resource_properties(resource_name, "AWS::SQS::Queue", path)
    unknown = set(properties) - {*_QUEUE_ATTRIBUTES, "QueueName", "Tags"}
    if unknown:
        raise NotImplementedError(
            f"sqs_queue_attributes cannot convert {sorted(unknown)} of {resource_name}; "
            "teach tests/support/template.py how create_queue takes them"
        )
    attributes = {key: properties[key] for key in _QUEUE_ATTRIBUTES if key in properties}
    _refuse_intrinsics(attributes, resource_name)
    # SQS takes every attribute as a string, booleans in lower case.
    return {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in attributes.items()
    }


def create_sqs_queue(client: Any, resource_name: str, queue_name: str) -> str:
    """Creates the template's queue under ``queue_name``; returns its URL."""
    reply = client.create_queue(
        QueueName=queue_name, Attributes=sqs_queue_attributes(resource_name)
    )
    url: str = reply["QueueUrl"]
    return url


def function_variables(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """A function's environment variables as the template writes them, globals included."""
    template = load_template(path)
    resource_properties(logical_id, "AWS::Serverless::Function", path)
    function = template["Resources"][logical_id]["Properties"]
    global_function = template.get("Globals", {}).get("Function", {})
    return {
        **global_function.get("Environment", {}).get("Variables", {}),
        **function.get("Environment", {}).get("Variables", {}),
    }


def parameter_default(name: str, path: Path = TEMPLATE_PATH) -> Any | None:
    """The template parameter's ``Default``, or None when it has none (or is no parameter)."""
    parameter = load_template(path).get("Parameters", {}).get(name)
    return None if parameter is None else parameter.get("Default")


def _plain_string(properties: dict[str, Any], key: str, resource_name: str) -> str:
    value = properties.get(key)
    if not isinstance(value, str):
        raise ValueError(
            f"{resource_name}.{key} is {value!r}, not a plain string; pass table_name instead"
        )
    return value


def _refuse_intrinsics(value: Any, resource_name: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" or key.startswith("Fn::"):
                raise NotImplementedError(
                    f"{resource_name} uses {key} in a table setting; tests cannot resolve it"
                )
            _refuse_intrinsics(item, resource_name)
    elif isinstance(value, list):
        for item in value:
            _refuse_intrinsics(item, resource_name)
