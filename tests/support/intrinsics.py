"""CloudFormation's intrinsic functions, evaluated offline for one set of parameter values.

Tests need to know what the template says once its conditions are decided: which variables
a function gets, which statements its policy holds. ``Intrinsics.decide`` settles every
``Fn::If`` through the template's ``Conditions``, replaces the ``Ref`` of a parameter or a
pseudo parameter by its value and drops ``AWS::NoValue``; what only a deployment knows (a
resource's ``Ref`` or ``Fn::GetAtt``, a ``Fn::Sub`` naming a resource) stays as written.
``Intrinsics.resolve`` goes on and writes those as placeholders named after the resource:
``{"Ref": "X"}`` becomes ``"X"`` and ``{"Fn::GetAtt": ["X", "Arn"]}`` becomes ``"X.Arn"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Stand-ins for what CloudFormation knows about the stack it deploys.
PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "quiz-backend",
}

_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")


class _NoValue:
    """``AWS::NoValue``: the property or list item it stands for disappears."""


NO_VALUE = _NoValue()


class Intrinsics:
    """The template's conditions and intrinsic functions, for these parameter values.

    A parameter not given takes its ``Default``; one without a default, or a name that is
    no parameter of the template, raises ``LookupError`` naming it.
    """

    def __init__(
        self, template: Mapping[str, Any], parameters: Mapping[str, str] | None = None
    ) -> None:
        given = dict(parameters or {})
        declared = template.get("Parameters", {})
        unknown = set(given) - set(declared)
        if unknown:
            raise LookupError(f"the template has no parameter {sorted(unknown)}")
        self.parameters: dict[str, str] = {}
        for name, spec in declared.items():
            if name not in given and "Default" not in spec:
                raise LookupError(f"the template parameter {name} has no Default; give a value")
            self.parameters[name] = str(given.get(name, spec.get("Default")))
        self._conditions: dict[str, Any] = dict(template.get("Conditions", {}))
        self._resources = set(template.get("Resources", {}))

    def decide(self, value: Any) -> Any:
        """``value`` with conditions decided and parameters filled in."""
        return self._walk(value, placeholders=False)

    def resolve(self, value: Any) -> Any:
        """``value`` as plain data, resources written as placeholders."""
        return self._walk(value, placeholders=True)

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise LookupError(f"the template has no condition {name!r}")
        return self._truth(self._conditions[name])

    def _truth(self, expression: Any) -> bool:
        (function, argument), *rest = expression.items()
        if rest:
            raise ValueError(f"a condition has one function, not {sorted(expression)}")
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Not":
            return not self._truth(argument[0])
        if function == "Fn::And":
            return all(self._truth(item) for item in argument)
        if function == "Fn::Or":
            return any(self._truth(item) for item in argument)
        if function == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return str(left) == str(right)
        raise NotImplementedError(f"Intrinsics cannot evaluate {function} in a condition")

    def _walk(self, value: Any, placeholders: bool) -> Any:
        if isinstance(value, list):
            items = [self._walk(item, placeholders) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref" or function.startswith("Fn::"):
                return self._function(function, argument, placeholders)
        walked = {key: self._walk(item, placeholders) for key, item in value.items()}
        return {key: item for key, item in walked.items() if item is not NO_VALUE}

    def _function(self, function: str, argument: Any, placeholders: bool) -> Any:
        if function == "Ref":
            return self._ref(str(argument), placeholders)
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self._walk(when_true if self.condition(name) else when_false, placeholders)
        if function == "Fn::Sub":
            return self._sub(argument, placeholders)
        walked = self._walk(argument, placeholders)
        if not placeholders:
            return {function: walked}
        if function == "Fn::GetAtt":
            resource, attribute = walked if isinstance(walked, list) else walked.split(".", 1)
            return f"{resource}.{attribute}"
        if function == "Fn::Join":
            separator, items = walked
            return str(separator).join(str(item) for item in items)
        if function == "Fn::Split":
            separator, text = walked
            return str(text).split(separator)
        if function == "Fn::Select":
            index, items = walked
            return items[int(index)]
        raise NotImplementedError(f"Intrinsics cannot evaluate {function}")

    def _ref(self, name: str, placeholders: bool) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.parameters:
            return self.parameters[name]
        if name not in self._resources:
            raise LookupError(f"Ref {name!r} names no parameter or resource of the template")
        return name if placeholders else {"Ref": name}

    def _sub(self, argument: Any, placeholders: bool) -> Any:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {key: self._walk(item, placeholders) for key, item in variables.items()}
        unresolved = False

        def replace(match: re.Match[str]) -> str:
            nonlocal unresolved
            escaped, name = match.groups()
            if escaped:
                return "${" + name + "}"
            if name in variables and isinstance(variables[name], str):
                return str(variables[name])
            if name in PSEUDO_PARAMETERS or name in self.parameters:
                return str(self._ref(name, placeholders))
            if name.split(".", 1)[0] in self._resources and placeholders:
                return name
            unresolved = True
            return match.group(0)

        substituted = _SUB_VARIABLE.sub(replace, text)
        if unresolved:
            return {"Fn::Sub": text if not variables else [text, variables]}
        return substituted
