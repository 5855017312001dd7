"""Every handler imports from what ``sam build`` produced, with only the runtime around it.

Lambda runs a function from its build folder with the layer under ``/opt/python`` and the
runtime's own packages (boto3 and its dependencies) beside them; nothing else. These tests
recreate that: a bare virtual environment on the runtime's Python holding boto3 alone,
``PYTHONPATH`` set to the function folder and the layer, and the variables the template
gives the function. A dependency missing from the layer's requirements fails here, where
it would pass in the development environment that has everything installed.

The build comes from ``sam build`` (``make dev`` runs it); a missing or stale build fails
these tests rather than skipping them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.intrinsics import Intrinsics
from tests.support.template import REPO_ROOT, TEMPLATE_PATH, load_template, resources_of_type

BUILD_DIR = REPO_ROOT / ".aws-sam" / "build"
VENV_DIR = REPO_ROOT / ".stack" / "packaging-venv"
BUILD_HINT = "run `make dev` or `sam build` (from the repository root) first"
TIMEOUT_SECONDS = 120

# What the Lambda runtime provides, as PyPI distributions: boto3 and what boto3 requires.
RUNTIME_DISTRIBUTIONS = {
    "boto3",
    "botocore",
    "jmespath",
    "s3transfer",
    "urllib3",
    "python-dateutil",
    "six",
}

# Values for template variables whose real value CloudFormation computes. Nothing is
# contacted at import time, so they only have to pass the configuration's checks.
DUMMY_VALUES = {
    "DATABASE_URL": "postgresql://quiz@db.invalid:5432/quiz",
    "CONNECTIONS_TABLE": "quiz-backend-ConnectionsTable-PACKAGING",
    "WELCOME_FUNCTION_NAME": "quiz-backend-WelcomeFunction-PACKAGING",
    "WEBSOCKET_URL": "wss://abc123.execute-api.us-east-1.amazonaws.com/live",
    # The template always sets it: a custom domain's, the emulator's, or the API's own.
    "MANAGEMENT_API_ENDPOINT": "https://abc123.execute-api.us-east-1.amazonaws.com/live",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "PUSH_MARKS_TABLE": "quiz-backend-PushMarksTable-PACKAGING",
    "LEADERBOARD_PUSH_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/pushes",
    "LEADERBOARD_PUSH_INTERVAL_SECONDS": "1",
    "LIFECYCLE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/lifecycle",
    "TOKEN_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-PACKAGING",
}

# Run inside the bare interpreter: import the handler as Lambda does, report where from.
PROBE = """
import json, sys
import app
import psycopg, quiz_core, boto3
handler_name = sys.argv[1]
print(json.dumps({
    "app": app.__file__,
    "quiz_core": quiz_core.__file__,
    "psycopg": psycopg.__file__,
    "psycopg_impl": psycopg.pq.__impl__,
    "boto3": boto3.__file__,
    "handler_is_callable": callable(getattr(app, handler_name, None)),
    "python": list(sys.version_info[:2]),
}))
"""

FUNCTIONS = resources_of_type("AWS::Serverless::Function")
LAYERS = resources_of_type("AWS::Serverless::LayerVersion")


def _globals() -> dict[str, Any]:
    function_globals: dict[str, Any] = load_template().get("Globals", {}).get("Function", {})
    return function_globals


def _setting(logical_id: str, name: str) -> Any:
    properties = FUNCTIONS[logical_id]["Properties"]
    return properties.get(name, _globals().get(name))


def _runtime_version(logical_id: str) -> tuple[int, int]:
    runtime = _setting(logical_id, "Runtime")
    match = re.fullmatch(r"python(\d+)\.(\d+)", str(runtime))
    assert match, f"{logical_id} has Runtime {runtime!r}; these tests know only pythonX.Y"
    return int(match[1]), int(match[2])


def _environment_of(logical_id: str) -> dict[str, str]:
    """The function's variables from the template, with dummies for computed values.

    Conditions are decided for the parameters' defaults (a local stack's: a database URL).
    """
    variables = {
        **_globals().get("Environment", {}).get("Variables", {}),
        **FUNCTIONS[logical_id]["Properties"].get("Environment", {}).get("Variables", {}),
    }
    environment = {}
    for name, value in Intrinsics(load_template()).decide(variables).items():
        if name in DUMMY_VALUES:
            environment[name] = DUMMY_VALUES[name]
        elif isinstance(value, str | int | float):
            environment[name] = str(value)
        else:
            pytest.fail(
                f"{logical_id}'s variable {name} is computed by CloudFormation; "
                f"give it a dummy value in DUMMY_VALUES of {Path(__file__).name}",
                pytrace=False,
            )
    return environment


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stale_files(source: Path, built: Path, patterns: tuple[str, ...]) -> list[str]:
    stale = []
    for pattern in patterns:
        for file in sorted(source.rglob(pattern)):
            relative = file.relative_to(source)
            copy = built / relative
            if not copy.is_file() or _sha256(copy) != _sha256(file):
                stale.append(str(relative))
    return stale


def _layer_dir() -> Path:
    (logical_id,) = LAYERS
    return BUILD_DIR / logical_id / "python"


def _require_build() -> None:
    if not BUILD_DIR.is_dir():
        pytest.fail(f"there is no sam build output in {BUILD_DIR}; {BUILD_HINT}", pytrace=False)
    expected = [_layer_dir(), *(BUILD_DIR / logical_id for logical_id in FUNCTIONS)]
    missing = [str(path) for path in expected if not path.is_dir()]
    if missing:
        pytest.fail(f"no sam build output at {', '.join(missing)}; {BUILD_HINT}", pytrace=False)


def _runtime_python() -> str:
    versions = {_runtime_version(logical_id) for logical_id in FUNCTIONS}
    assert len(versions) == 1, f"functions use several runtimes: {sorted(versions)}"
    ((major, minor),) = versions
    if sys.version_info[:2] == (major, minor):
        return sys.executable
    found = shutil.which(f"python{major}.{minor}")
    if found is None:
        pytest.fail(
            f"the functions run on Python {major}.{minor}; put python{major}.{minor} on PATH "
            "or run the tests with it",
            pytrace=False,
        )
    return found


def _boto3_pin() -> str:
    requirements = (REPO_ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    match = re.search(r"^boto3==(\S+)", requirements, re.MULTILINE)
    assert match, "requirements-dev.txt must pin boto3 (the runtime's version) as boto3==X.Y.Z"
    return match[1]


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False, **kwargs
    )


@pytest.fixture(scope="session")
def bare_python() -> Path:
    """A virtual environment with only boto3 installed, kept in .stack between runs."""
    base = _runtime_python()
    wanted = f"{base} boto3=={_boto3_pin()}"
    stamp = VENV_DIR / "packaging-venv.stamp"
    python = VENV_DIR / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == wanted and python.is_file():
        return python

    shutil.rmtree(VENV_DIR, ignore_errors=True)
    created = _run([base, "-m", "venv", "--without-pip", str(VENV_DIR)])
    assert created.returncode == 0, f"could not create {VENV_DIR}:\n{created.stderr}"
    # pip runs from this interpreter's environment and installs into the bare one, so
    # the bare one holds no pip of its own.
    installed = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-input", "-q"]
        + [f"boto3=={_boto3_pin()}"]
    )
    assert installed.returncode == 0, (
        f"could not install boto3 into {VENV_DIR}:\n{installed.stderr}"
    )
    stamp.write_text(wanted)
    return python


def _isolated_environment(tmp_path: Path, python_path: list[Path]) -> dict[str, str]:
    """Only what Lambda would set; nothing of the developer's environment leaks in."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(str(path) for path in python_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        # The binary psycopg the layer ships, never a libpq this machine happens to have.
        "PSYCOPG_IMPL": "binary",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }


def _isolated_run(
    python: Path, code: str, environment: dict[str, str], tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    # -s: no user site-packages; -P: neither the current folder nor the script's on sys.path.
    return _run([str(python), "-s", "-P", "-c", code, *args], env=environment, cwd=tmp_path)


@pytest.fixture(scope="module")
def build() -> Path:
    _require_build()
    return BUILD_DIR


def test_the_build_is_as_fresh_as_the_sources(build: Path) -> None:
    layer_source = (
        TEMPLATE_PATH.parent / LAYERS["QuizCoreLayer"]["Properties"]["ContentUri"]
    ).resolve()
    stale = [
        f"QuizCoreLayer: {name}"
        for name in _stale_files(
            layer_source, _layer_dir(), ("quiz_core/**/*.py", "quiz_core/**/*.sql")
        )
    ]
    for logical_id, resource in FUNCTIONS.items():
        source = (TEMPLATE_PATH.parent / resource["Properties"]["CodeUri"]).resolve()
        stale += [
            f"{logical_id}: {name}" for name in _stale_files(source, build / logical_id, ("*.py",))
        ]

    assert not stale, f"the build differs from the sources in {stale}; {BUILD_HINT}"


def test_the_bare_interpreter_holds_nothing_but_the_runtimes_packages(
    bare_python: Path, tmp_path: Path
) -> None:
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps(sorted({d.metadata['Name'].lower() for d in m.distributions()})))"
    )
    listed = _isolated_run(bare_python, code, _isolated_environment(tmp_path, []), tmp_path)

    assert listed.returncode == 0, listed.stderr
    assert set(json.loads(listed.stdout)) <= RUNTIME_DISTRIBUTIONS


def test_without_the_layer_a_handler_cannot_import(
    build: Path, bare_python: Path, tmp_path: Path
) -> None:
    environment = {
        **_isolated_environment(tmp_path, [build / "JoinQuizFunction"]),
        **_environment_of("JoinQuizFunction"),
    }

    attempt = _isolated_run(bare_python, "import app", environment, tmp_path)

    assert attempt.returncode != 0
    assert "ModuleNotFoundError" in attempt.stderr


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_the_handler_imports_from_the_build_with_only_the_layer_and_boto3(
    logical_id: str, build: Path, bare_python: Path, tmp_path: Path
) -> None:
    function_dir, layer_dir = build / logical_id, _layer_dir()
    module_name, _, handler_name = str(_setting(logical_id, "Handler")).rpartition(".")
    assert module_name == "app", f"{logical_id} has Handler {module_name}.{handler_name}"
    environment = {
        **_isolated_environment(tmp_path, [function_dir, layer_dir]),
        **_environment_of(logical_id),
    }

    probe = _isolated_run(bare_python, PROBE, environment, tmp_path, handler_name)

    assert probe.returncode == 0, f"{logical_id} failed to import:\n{probe.stderr}"
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert Path(found["app"]).parent == function_dir
    assert Path(found["quiz_core"]).is_relative_to(layer_dir)
    assert Path(found["psycopg"]).is_relative_to(layer_dir)
    assert found["psycopg_impl"] == "binary"
    assert Path(found["boto3"]).is_relative_to(bare_python.parent.parent)
    assert found["handler_is_callable"] is True
    assert tuple(found["python"]) == _runtime_version(logical_id)
