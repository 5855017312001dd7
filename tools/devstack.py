"""Run the quiz backend on this machine: a private PostgreSQL, ministack, the SAM stack.

    .venv/bin/python tools/devstack.py up      start what is missing, build, deploy (make dev)
    .venv/bin/python tools/devstack.py down    stop ministack and PostgreSQL, keep data (make down)
    .venv/bin/python tools/devstack.py status  say what runs (make status)
    .venv/bin/python tools/devstack.py clean   down, then delete .stack and .aws-sam (make clean)

`up` writes `.stack/stack.env`, the variables the tests and a shell need to reach the
stack. Everything listens on 127.0.0.1 only and runs in the background until `down`.
Linux only: processes are found through /proc.

`up` remembers its ports in `.stack/ports.env`, and later commands use them unless a
variable names others. `up` refuses to move a running stack to other ports (`down` first),
and never uses or stops a server on its ports that it did not start.

Environment:
    DATABASE_URL           use this database; no private PostgreSQL is started
    DEVSTACK_PG_PORT       port of the private PostgreSQL (the remembered one, else 54329)
    DEVSTACK_GATEWAY_PORT  port of ministack (the remembered one, else 4566)
    DEVSTACK_TEMPLATE      SAM template to deploy (infra/template.yaml)
    DEVSTACK_VERBOSE=1     show the output of every command instead of logging it
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
STACK_DIR = ROOT / ".stack"
LOG_DIR = STACK_DIR / "logs"
STACK_ENV_FILE = STACK_DIR / "stack.env"
PORTS_FILE = STACK_DIR / "ports.env"
VENV_BIN = ROOT / ".venv" / "bin"
BUILD_DIR = ROOT / ".aws-sam"
BUILT_TEMPLATE = BUILD_DIR / "build" / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"
SAM_CONFIG_ENV = "local"

LOOPBACK = "127.0.0.1"
DEFAULT_PG_PORT = 54329
DEFAULT_GATEWAY_PORT = 4566
PG_PORT_VARIABLE = "DEVSTACK_PG_PORT"
GATEWAY_PORT_VARIABLE = "DEVSTACK_GATEWAY_PORT"
DEFAULT_TEMPLATE = "infra/template.yaml"
DB_NAME = "quiz"
DB_USER = "quiz"
POSTGRES_OS_USER = "postgres"
MINISTACK_REQUIREMENTS = ("ministack==1.5.33", "aws-sam-translator==1.115.0")
REQUIRED_OUTPUTS = {"HttpApiUrl": "HTTP_API_URL", "WebSocketUrl": "WEBSOCKET_URL"}
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
# Variables that could point SAM or boto3 at a real account instead of the dummy one.
REAL_ACCOUNT_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")

MIGRATE_MODULE = "quiz_core.storage.migrate"
MIGRATE_SOURCE = ROOT / "layers/quiz_core/quiz_core/storage/migrate.py"
SAMPLE_LOADER = ROOT / "tools/load_sample_data.py"

HEALTH_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 30
MAX_SOCKET_PATH = 107


class DevStackError(Exception):
    """A step failed; the message says what was attempted and what to do next."""


# --- settings and output -------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    pg_port: int
    gateway_port: int
    external_database_url: str | None
    template: Path
    verbose: bool

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str],
        remembered: Mapping[str, int],
    ) -> Settings:
        """A port variable beats the remembered port, which beats the default."""
        pg_port = _port(environ, remembered, PG_PORT_VARIABLE, DEFAULT_PG_PORT)
        gateway_port = _port(environ, remembered, GATEWAY_PORT_VARIABLE, DEFAULT_GATEWAY_PORT)
        return cls(
            pg_port=pg_port,
            gateway_port=gateway_port,
            external_database_url=environ.get("DATABASE_URL") or None,
            template=ROOT / environ.get("DEVSTACK_TEMPLATE", DEFAULT_TEMPLATE),
            verbose=environ.get("DEVSTACK_VERBOSE", "") not in ("", "0"),
        )

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.gateway_port}"


def _port(
    environ: Mapping[str, str], remembered: Mapping[str, int], name: str, default: int
) -> int:
    raw = environ.get(name)
    if raw is None:
        return remembered.get(name, default)
    return parse_port(name, raw, where="the environment")


def parse_port(name: str, raw: str, *, where: str) -> int:
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise DevStackError(
            f"{name} in {where} must be a port number from 1024 to 65535, got {raw!r}."
        )
    return int(raw)


def remembered_ports() -> dict[str, int]:
    """The ports the last `up` chose, from PORTS_FILE; empty before the first `up`."""
    try:
        lines = PORTS_FILE.read_text().splitlines()
    except FileNotFoundError:
        return {}
    entries = [line for line in lines if "=" in line and not line.startswith("#")]
    pairs = (line.split("=", 1) for line in entries)
    where = relative(PORTS_FILE)
    return {name: parse_port(name, raw.strip(), where=where) for name, raw in pairs}


def remember_ports(settings: Settings) -> None:
    PORTS_FILE.write_text(
        "# Written by tools/devstack.py up: the ports that later commands use.\n"
        f"{PG_PORT_VARIABLE}={settings.pg_port}\n"
        f"{GATEWAY_PORT_VARIABLE}={settings.gateway_port}\n"
    )


class Progress:
    """Prints one line per step, with the seconds since `make dev` started."""

    def __init__(self, started_at: float) -> None:
        self._started_at = started_at

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Progress:
        started_at = environ.get("DEVSTACK_STARTED_AT", "")
        try:
            return cls(float(started_at))
        except ValueError:
            return cls(time.time())

    def elapsed(self) -> float:
        return time.time() - self._started_at

    def say(self, step: str, message: str) -> None:
        print(f"[{self.elapsed():6.1f}s] {step:<10} {message}", flush=True)


# --- running commands ----------------------------------------------------------------


@dataclass(frozen=True)
class Runner:
    """Runs commands with their output in a log file (or on the terminal when verbose)."""

    verbose: bool

    def run(
        self,
        command: Sequence[str | Path],
        *,
        log: Path,
        timeout_s: float,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
        shown_as: str | None = None,
    ) -> None:
        """Run `command` to completion; raise DevStackError with the log's tail on failure."""
        argv = [str(part) for part in command]
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as out:
            out.write(f"\n$ {shown_as or shlex.join(argv)}\n")
            out.flush()
            returncode = self._wait(argv, out, timeout_s, env, cwd)

        if returncode != 0:
            raise DevStackError(
                f"`{shown_as or shlex.join(argv)}` exited with {returncode}.\n"
                f"{tail(log)}\nFull log: {relative(log)}"
            )

    def _wait(
        self,
        argv: list[str],
        out: TextIO,
        timeout_s: float,
        env: Mapping[str, str] | None,
        cwd: Path,
    ) -> int:
        destination = None if self.verbose else out
        try:
            completed = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=destination,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                timeout=timeout_s,
                check=False,
            )
        except FileNotFoundError as exc:
            raise DevStackError(f"cannot run {argv[0]!r}: it is not installed.") from exc
        except subprocess.TimeoutExpired as exc:
            raise DevStackError(f"`{argv[0]}` did not finish within {timeout_s:.0f}s.") from exc
        return completed.returncode


def output_of(command: Sequence[str | Path], *, timeout_s: float = 30.0) -> str | None:
    """Stdout of a short command, or None when it cannot run or fails."""
    try:
        completed = subprocess.run(
            [str(part) for part in command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not log.exists():
        return "(no log written)"
    kept = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in kept)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def aws_environment(endpoint: str) -> dict[str, str]:
    """The environment for SAM and AWS clients: the emulator, dummy credentials, no profile."""
    region = local_sam_config()["region"]
    env = {k: v for k, v in os.environ.items() if k not in REAL_ACCOUNT_VARIABLES}
    env.update(DUMMY_CREDENTIALS)
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_REGION=region, AWS_DEFAULT_REGION=region)
    # NOTE: point the config and credentials files at paths that do not exist, so that
    # nothing here ever reads a developer's real AWS profiles.
    env["AWS_CONFIG_FILE"] = str(STACK_DIR / "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(STACK_DIR / "no-aws-credentials")
    return env


def local_sam_config() -> dict[str, str]:
    """stack_name and region of samconfig.toml's `local` env: one place names the stack."""
    import tomllib

    with SAMCONFIG.open("rb") as config_file:
        config = tomllib.load(config_file)
    parameters = config[SAM_CONFIG_ENV]["global"]["parameters"]
    return {"stack_name": str(parameters["stack_name"]), "region": str(parameters["region"])}


# --- processes -----------------------------------------------------------------------


def process_group_members(pgid: int) -> list[int]:
    """PIDs of the live processes in process group `pgid`, read from /proc."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(stat_file.parent.name))
    return members


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def environment_of(pid: int) -> dict[str, str]:
    """The environment `pid` started with; empty if it is gone or not ours to read."""
    try:
        items = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return {}
    pairs = (item.decode(errors="replace").partition("=") for item in items if item)
    return {name: value for name, _, value in pairs}


def port_is_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex((LOOPBACK, port)) == 0


def port_taken_error(port: int, variable: str) -> DevStackError:
    return DevStackError(
        f"a program that `make dev` did not start listens on {LOOPBACK}:{port}; it was "
        f"left alone.\nStop it, or choose another port with {variable}."
    )


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, from the moment it exists."""
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text + "\n")


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


# --- PostgreSQL ----------------------------------------------------------------------


def find_postgres_bindir() -> Path:
    """The folder holding initdb and pg_ctl: pg_config's, Debian's newest, or PATH's."""
    candidates = []
    pg_config_bindir = output_of(["pg_config", "--bindir"])
    if pg_config_bindir:
        candidates.append(Path(pg_config_bindir))
    debian_bindirs = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(debian_bindirs, key=_major_version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)

    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise DevStackError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found; looked in "
        "`pg_config --bindir`, /usr/lib/postgresql/*/bin and PATH.\n"
        "Install them with `apt-get install postgresql` (Debian/Ubuntu), "
        "or set DATABASE_URL to use a database you already run."
    )


def _major_version(bindir: Path) -> int:
    version = bindir.parent.name
    return int(version) if version.isdigit() else 0


@dataclass(frozen=True)
class PostgresCluster:
    """A private cluster: data, socket, log and password in one base folder."""

    bindir: Path
    base: Path
    port: int
    runner: Runner

    @property
    def data_dir(self) -> Path:
        return self.base / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.base / "postgres-run"

    @property
    def server_log(self) -> Path:
        return self.base / "logs" / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.base / "postgres-password"

    @property
    def control_log(self) -> Path:
        return LOG_DIR / "postgres-ctl.log"

    def database_url(self) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql://{DB_USER}:{password}@{LOOPBACK}:{self.port}/{DB_NAME}"

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def running_port(self) -> int | None:
        """Port of the running server (line 4 of postmaster.pid), or None if stopped."""
        pg_ctl_status: list[str | Path] = [self.bindir / "pg_ctl", "status", "-D", self.data_dir]
        if output_of([*as_server_user(), *pg_ctl_status]) is None:
            return None
        lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else None

    def initialise(self) -> None:
        """Create the cluster; a data folder without PG_VERSION is a failed attempt's leftover."""
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True, mode=0o700)
        password = secrets.token_urlsafe(18)
        write_private(self.password_file, password)
        initdb_password = self.base / "postgres-initdb-password"
        write_private(initdb_password, password)
        give_to_server_user(self.data_dir, initdb_password)
        try:
            self._pg(
                "initdb", "-D", self.data_dir, f"--username={DB_USER}",
                f"--pwfile={initdb_password}", "--auth-local=trust",
                "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C",
            )  # fmt: skip
        finally:
            initdb_password.unlink()

    def start(self) -> None:
        if port_is_taken(self.port):
            raise port_taken_error(self.port, PG_PORT_VARIABLE)
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.server_log.parent.mkdir(parents=True, exist_ok=True)
        self.server_log.touch()
        give_to_server_user(self.socket_dir, self.server_log)
        settings = {
            "listen_addresses": LOOPBACK,
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "unix_socket_permissions": "0700",
            # Every warm Lambda worker of the emulator holds its own connection (as on AWS
            # without RDS Proxy); a crowd of players warms hundreds of them.
            "max_connections": "400",
        }
        server_options = shlex.join(f"--{name}={value}" for name, value in settings.items())
        self._pg(
            "pg_ctl", "start", "-D", self.data_dir, "-l", self.server_log,
            "-w", "-t", "60", "-o", server_options,
        )  # fmt: skip

    def stop(self) -> None:
        self._pg("pg_ctl", "stop", "-D", self.data_dir, "-m", "fast", "-w", "-t", "60")

    def ensure_database(self) -> None:
        """Create the quiz database over TCP, as the application will connect."""
        import psycopg
        from psycopg import sql

        admin_url = self.database_url().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)
            ).fetchone()
            if exists is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))

    def _pg(self, program: str, *arguments: str | Path) -> None:
        self.runner.run(
            [*as_server_user(), self.bindir / program, *arguments],
            log=self.control_log,
            timeout_s=120,
            cwd=self.base,
        )


def as_server_user() -> list[str]:
    """The prefix that runs a PostgreSQL program as `postgres` when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", POSTGRES_OS_USER, "--"]


def give_to_server_user(*paths: Path) -> None:
    if os.geteuid() == 0:
        for path in paths:
            shutil.chown(path, user=POSTGRES_OS_USER, group=None)


def postgres_base_candidates() -> list[Path]:
    """Where a cluster may live: .stack, or the fallback when `postgres` cannot reach it."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    # NOTE: /var/tmp rather than /tmp so that the data survives a reboot.
    fallback = Path("/var/tmp") / f"quiz-devstack-{digest}"  # noqa: S108
    return [STACK_DIR, fallback]


def choose_postgres_base() -> Path:
    """`.stack`, unless the server could not use it: see `server_can_use`."""
    preferred, fallback = postgres_base_candidates()
    preferred.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        check_server_user_exists()
    if server_can_use(preferred):
        return preferred
    fallback.mkdir(mode=0o755, parents=True, exist_ok=True)
    return fallback


def server_can_use(base: Path) -> bool:
    """False when the socket path is too long for Unix sockets (107 bytes), or when we are
    root and the `postgres` user cannot enter `base` (a 0700 folder above it)."""
    socket_path = base / "postgres-run" / ".s.PGSQL.65535"
    if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH:
        return False
    return os.geteuid() != 0 or output_of([*as_server_user(), "test", "-x", base]) is not None


def check_server_user_exists() -> None:
    if output_of(["id", "-u", POSTGRES_OS_USER]) is None:
        raise DevStackError(
            "PostgreSQL refuses to run as root, and there is no `postgres` user to run it as.\n"
            "`apt-get install postgresql` creates one; or run `make dev` as a normal user."
        )


def existing_clusters(bindir: Path | None, port: int, runner: Runner) -> Iterator[PostgresCluster]:
    for base in postgres_base_candidates():
        if (base / "postgres" / "PG_VERSION").is_file() and bindir is not None:
            yield PostgresCluster(bindir=bindir, base=base, port=port, runner=runner)


def ensure_postgres(settings: Settings, runner: Runner, progress: Progress) -> str:
    """Start (and first create) the private cluster and the quiz database; return its URL."""
    cluster = PostgresCluster(
        bindir=find_postgres_bindir(),
        base=choose_postgres_base(),
        port=settings.pg_port,
        runner=runner,
    )
    if cluster.base != STACK_DIR:
        progress.say("postgres", f"NOTE: the server cannot use {STACK_DIR}; using {cluster.base}")
    if not cluster.is_initialised():
        progress.say("postgres", f"creating a cluster in {relative(cluster.data_dir)} ...")
        cluster.initialise()

    running_port = cluster.running_port()
    if running_port is None:
        cluster.start()

    cluster.ensure_database()
    verb = "running" if running_port else "started"
    progress.say("postgres", f"{verb} on {LOOPBACK}:{cluster.port}, database {DB_NAME!r} ready")
    return cluster.database_url()


def external_database_url(settings: Settings) -> str | None:
    """DATABASE_URL, unless it names our own cluster (as a sourced stack.env does)."""
    database_url = settings.external_database_url
    if database_url is None:
        return None
    location = urllib.parse.urlsplit(database_url)
    if location.hostname == LOOPBACK and location.port == settings.pg_port:
        return None
    return database_url


def running_postgres_port(settings: Settings, runner: Runner) -> int | None:
    """The port of our private cluster when it runs, whatever `settings` asks for."""
    clusters = existing_clusters(find_postgres_bindir_or_none(), settings.pg_port, runner)
    ports = (cluster.running_port() for cluster in clusters)
    return next((port for port in ports if port is not None), None)


def stop_postgres(settings: Settings, runner: Runner, progress: Progress) -> None:
    bindir = find_postgres_bindir_or_none()
    for cluster in existing_clusters(bindir, settings.pg_port, runner):
        if cluster.running_port() is None:
            progress.say("postgres", "not running")
            continue
        cluster.stop()
        progress.say("postgres", f"stopped; data kept in {relative(cluster.data_dir)}")


def find_postgres_bindir_or_none() -> Path | None:
    try:
        return find_postgres_bindir()
    except DevStackError:
        return None


# --- ministack -----------------------------------------------------------------------


@dataclass(frozen=True)
class Ministack:
    """ministack in its own venv, started by us in its own process group."""

    port: int
    venv: Path = STACK_DIR / "ministack-venv"
    pid_file: Path = STACK_DIR / "ministack.pid"
    log_file: Path = LOG_DIR / "ministack.log"
    scratch_dir: Path = STACK_DIR / "tmp"

    @property
    def health_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/_localstack/health"

    @property
    def stamp_file(self) -> Path:
        return self.venv / ".devstack-requirements"

    def venv_is_current(self) -> bool:
        wanted = "\n".join(MINISTACK_REQUIREMENTS)
        return self.stamp_file.is_file() and self.stamp_file.read_text() == wanted

    def install(self, runner: Runner) -> None:
        """(Re)create the venv on the Lambda runtime's Python, which runs the functions."""
        shutil.rmtree(self.venv, ignore_errors=True)
        log = LOG_DIR / "pip-ministack.log"
        runner.run([base_python(), "-m", "venv", self.venv], log=log, timeout_s=120)
        runner.run(
            [
                self.venv / "bin" / "python",
                "-m",
                "pip",
                "install",
                "--quiet",
                *MINISTACK_REQUIREMENTS,
            ],
            log=log,
            timeout_s=900,
        )
        self.stamp_file.write_text("\n".join(MINISTACK_REQUIREMENTS))

    def running_pid(self) -> int | None:
        """PID from our PID file, if that process is alive and is our ministack."""
        pid = read_pid(self.pid_file)
        if pid is None or str(self.venv) not in command_line(pid):
            return None
        return pid

    def is_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def running_port(self) -> int | None:
        """The port our ministack was started on, or None when it does not run."""
        pid = self.running_pid()
        raw = environment_of(pid).get("GATEWAY_PORT", "") if pid is not None else ""
        return int(raw) if raw.isdigit() else None

    def start(self) -> int:
        if port_is_taken(self.port):
            raise port_taken_error(self.port, GATEWAY_PORT_VARIABLE)
        shutil.rmtree(self.scratch_dir, ignore_errors=True)
        self.scratch_dir.mkdir(parents=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("w", encoding="utf-8") as log:
            # NOTE: foreground mode in a new session, so that we own its PID and its
            # process group holds every Lambda worker it forks; `ministack -d` would hide both.
            process = subprocess.Popen(
                [self.venv / "bin" / "ministack"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                cwd=STACK_DIR,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n")
        self.wait_until_healthy(process)
        return process.pid

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in REAL_ACCOUNT_VARIABLES}
        env.pop("AWS_ENDPOINT_URL", None)
        env.update(DUMMY_CREDENTIALS)
        region = local_sam_config()["region"]
        env.update(
            BIND_HOST=LOOPBACK,
            GATEWAY_PORT=str(self.port),
            IOT_MTLS_ENABLED="0",
            SFTP_ENABLED="0",
            TMPDIR=str(self.scratch_dir),
            AWS_REGION=region,
            AWS_DEFAULT_REGION=region,
            MINISTACK_REGION=region,
        )
        return env

    def wait_until_healthy(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DevStackError(
                    f"ministack exited with {process.returncode} while starting.\n"
                    f"{tail(self.log_file)}\nFull log: {relative(self.log_file)}"
                )
            if self.is_healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise DevStackError(
            f"ministack did not answer {self.health_url} within {HEALTH_TIMEOUT_S:.0f}s.\n"
            f"{tail(self.log_file)}\nFull log: {relative(self.log_file)}"
        )

    def stop(self) -> bool:
        """Stop ministack and its Lambda workers (its process group); True if any ran."""
        pgid = read_pid(self.pid_file)
        members = self.our_group_members(pgid) if pgid else []
        if pgid and members:
            signal_group(pgid, signal.SIGTERM)
            if not wait_for_group_exit(pgid, STOP_TIMEOUT_S):
                signal_group(pgid, signal.SIGKILL)
                wait_for_group_exit(pgid, STOP_TIMEOUT_S)
        self.pid_file.unlink(missing_ok=True)
        return bool(members)

    def our_group_members(self, pgid: int) -> list[int]:
        """Members of `pgid`, but only if they run from our venv (the PID may be reused)."""
        members = process_group_members(pgid)
        if any(str(self.venv) in command_line(pid) for pid in members):
            return members
        return []


def base_python() -> Path:
    """The interpreter this venv was made from: ministack's venv must use the same one."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidate = Path(sys.base_prefix) / "bin" / version
    return candidate if candidate.is_file() else Path(sys.executable)


def signal_group(pgid: int, signal_number: signal.Signals) -> None:
    try:
        os.killpg(pgid, signal_number)
    except ProcessLookupError:
        return


def wait_for_group_exit(pgid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        reap_children()
        if not process_group_members(pgid):
            return True
        time.sleep(0.1)
    return False


def reap_children() -> None:
    """Collect exited children of this process, so they do not linger as zombies."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            continue
    except ChildProcessError:
        return


def ensure_ministack(settings: Settings, runner: Runner, progress: Progress) -> None:
    ministack = Ministack(port=settings.gateway_port)
    if not ministack.venv_is_current():
        if ministack.stop():
            progress.say("ministack", "stopped the running one: its venv is being replaced")
        progress.say("ministack", f"installing {' '.join(MINISTACK_REQUIREMENTS)} ...")
        ministack.install(runner)

    pid = ministack.running_pid()
    if pid is not None and ministack.is_healthy():
        progress.say("ministack", f"running (pid {pid}) at {settings.endpoint}")
        return
    # Also clears Lambda workers left behind by a ministack that was killed on its own.
    if ministack.stop():
        progress.say("ministack", f"stopped the one that did not answer {ministack.health_url}")

    pid = ministack.start()
    progress.say("ministack", f"started (pid {pid}) at {settings.endpoint}, fresh state")


# --- ports ---------------------------------------------------------------------------


def check_ports(settings: Settings, runner: Runner, *, private_cluster: bool) -> None:
    """Refuse, before anything is stopped, to move our servers to other ports, or to use
    a port on which a server that we did not start listens."""
    check_port(
        "ministack",
        Ministack(port=settings.gateway_port).running_port(),
        settings.gateway_port,
        GATEWAY_PORT_VARIABLE,
    )
    if private_cluster:
        running_port = running_postgres_port(settings, runner)
        check_port("PostgreSQL", running_port, settings.pg_port, PG_PORT_VARIABLE)


def check_port(server: str, running_port: int | None, wanted: int, variable: str) -> None:
    if running_port is None and port_is_taken(wanted):
        raise port_taken_error(wanted, variable)
    if running_port not in (None, wanted):
        raise DevStackError(
            f"{server} of this stack runs on {LOOPBACK}:{running_port}, "
            f"but this run asks for port {wanted}; nothing was stopped.\n"
            "To move it, run `make down` first; "
            f"to keep it, run with {variable}={running_port}."
        )


# --- database content ----------------------------------------------------------------


def prepare_database(database_url: str, runner: Runner, progress: Progress) -> None:
    """Apply migrations and load the sample data, when those tools exist."""
    env = {**os.environ, "DATABASE_URL": database_url}
    python = VENV_BIN / "python"
    if not MIGRATE_SOURCE.is_file():
        progress.say("database", f"skipped migrations: {relative(MIGRATE_SOURCE)} does not exist")
    else:
        runner.run(
            [python, "-m", MIGRATE_MODULE], log=LOG_DIR / "migrate.log", env=env, timeout_s=300
        )
        progress.say("database", "migrations applied")

    if not SAMPLE_LOADER.is_file():
        progress.say("database", f"skipped sample data: {relative(SAMPLE_LOADER)} does not exist")
    else:
        runner.run([python, SAMPLE_LOADER], log=LOG_DIR / "sample-data.log", env=env, timeout_s=300)
        progress.say("database", "sample data loaded")


# --- SAM -----------------------------------------------------------------------------


def sam_environment(settings: Settings) -> dict[str, str]:
    env = aws_environment(settings.endpoint)
    # NOTE: `sam build` looks for the runtime's interpreter (python3.13) on PATH.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(SAM_CLI_POLL_DELAY="0.2", SAM_CLI_TELEMETRY="0")
    return env


def build_and_deploy(
    settings: Settings, database_url: str, runner: Runner, progress: Progress
) -> None:
    env = sam_environment(settings)
    sam = VENV_BIN / "sam"
    config = ["--config-env", SAM_CONFIG_ENV]

    progress.say("sam", f"building {relative(settings.template)} ...")
    runner.run(
        [sam, "build", *config, "--template-file", settings.template],
        log=LOG_DIR / "sam-build.log",
        env=env,
        timeout_s=900,
    )

    stack_name = local_sam_config()["stack_name"]
    progress.say("sam", f"deploying stack {stack_name} to {settings.endpoint} ...")
    deploy = [
        str(sam), "deploy", *config, "--template-file", str(BUILT_TEMPLATE),
        "--stack-name", stack_name, "--resolve-s3", "--no-confirm-changeset",
        "--no-fail-on-empty-changeset", "--parameter-overrides",
    ]  # fmt: skip
    endpoint = sam_parameter("EmulatorEndpoint", settings.endpoint)
    runner.run(
        [*deploy, sam_parameter("DatabaseUrl", database_url), endpoint],
        log=LOG_DIR / "sam-deploy.log",
        env=env,
        timeout_s=900,
        shown_as=shlex.join([*deploy, "DatabaseUrl=*****", endpoint]),
    )
    progress.say("sam", f"stack {stack_name} deployed")


def sam_parameter(name: str, value: str) -> str:
    """One `--parameter-overrides` item; SAM splits unquoted values at spaces."""
    escaped = value.replace('"', '\\"')
    return f'{name}="{escaped}"'


def stack_outputs(settings: Settings) -> dict[str, str]:
    """The deployed stack's outputs, read from the emulator's CloudFormation."""
    import boto3

    config = local_sam_config()
    cloudformation = boto3.client(
        "cloudformation",
        endpoint_url=settings.endpoint,
        region_name=config["region"],
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    stacks = cloudformation.describe_stacks(StackName=config["stack_name"])["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = sorted(set(REQUIRED_OUTPUTS) - set(outputs))
    if missing:
        raise DevStackError(
            f"stack {config['stack_name']} has no output {', '.join(missing)} "
            f"(it has: {', '.join(sorted(outputs)) or 'none'}); add it to the template."
        )
    return outputs


def write_stack_env(settings: Settings, database_url: str, outputs: Mapping[str, str]) -> None:
    config = local_sam_config()
    values = {
        "AWS_ENDPOINT_URL": settings.endpoint,
        "AWS_REGION": config["region"],
        "AWS_DEFAULT_REGION": config["region"],
        **DUMMY_CREDENTIALS,
        "STACK_NAME": config["stack_name"],
        "DATABASE_URL": database_url,
        **{variable: outputs[key] for key, variable in REQUIRED_OUTPUTS.items()},
    }
    lines = [
        "# Written by tools/devstack.py (make dev); load with: set -a; . .stack/stack.env; set +a",
        *(f"{name}={shlex.quote(value)}" for name, value in values.items()),
    ]
    STACK_ENV_FILE.write_text("\n".join(lines) + "\n")
    STACK_ENV_FILE.chmod(0o600)


def without_password(database_url: str) -> str:
    location = urllib.parse.urlsplit(database_url)
    if location.password is None:
        return database_url
    host = location.netloc.rsplit("@", 1)[1]
    return location._replace(netloc=f"{location.username}:*****@{host}").geturl()


def print_summary(outputs: Mapping[str, str], database_url: str, progress: Progress) -> None:
    print(
        f"\nReady in {progress.elapsed():.1f}s. PostgreSQL and ministack run in the background"
        " (stop them with `make down`).\n"
        f"  HTTP API    {outputs['HttpApiUrl']}\n"
        f"  WebSocket   {outputs['WebSocketUrl']}\n"
        f"  Database    {without_password(database_url)}\n"
        f"  Logs        {relative(LOG_DIR)}/\n"
        "\nTry it:\n"
        f"  set -a; . {relative(STACK_ENV_FILE)}; set +a\n"
        "  TOKEN=$(curl -s -X POST \"$HTTP_API_URL/login\" -H 'Content-Type: application/json'"
        ' -d \'{"username":"john_doe","password":"password123"}\''
        " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')\n"
        '  curl -s -X POST -H "Authorization: Bearer $TOKEN"'
        ' "$HTTP_API_URL/join_quiz/voc202411290900/1a2b3c"\n'
        '  npx wscat -c "$WEBSOCKET_URL?quiz_id=voc202411290900&token=$TOKEN"',
        flush=True,
    )


# --- commands ------------------------------------------------------------------------


def command_up(settings: Settings, runner: Runner, progress: Progress) -> None:
    if sys.version_info[:2] != (3, 13) or not (VENV_BIN / "sam").exists():
        raise DevStackError(
            "`up` runs on the project's .venv (Python 3.13 with the SAM CLI); "
            "use `make dev`, which creates it first."
        )
    if not settings.template.is_file():
        raise DevStackError(
            f"SAM template {relative(settings.template)} does not exist; write it, "
            "or name another one with DEVSTACK_TEMPLATE."
        )
    STACK_DIR.mkdir(exist_ok=True)
    external_url = external_database_url(settings)
    check_ports(settings, runner, private_cluster=external_url is None)
    remember_ports(settings)
    STACK_ENV_FILE.unlink(missing_ok=True)

    if external_url is None:
        database_url = ensure_postgres(settings, runner, progress)
    else:
        database_url = external_url
        progress.say("postgres", "DATABASE_URL is set: using that database, no private cluster")
    prepare_database(database_url, runner, progress)

    ensure_ministack(settings, runner, progress)
    build_and_deploy(settings, database_url, runner, progress)
    outputs = stack_outputs(settings)
    write_stack_env(settings, database_url, outputs)
    progress.say("env", f"wrote {relative(STACK_ENV_FILE)}")
    print_summary(outputs, database_url, progress)


def command_down(settings: Settings, runner: Runner, progress: Progress) -> None:
    STACK_ENV_FILE.unlink(missing_ok=True)
    stopped = Ministack(port=settings.gateway_port).stop()
    progress.say("ministack", "stopped, with its Lambda workers" if stopped else "not running")
    stop_postgres(settings, runner, progress)


def command_status(settings: Settings, runner: Runner, progress: Progress) -> None:
    ministack = Ministack(port=settings.gateway_port)
    pid = ministack.running_pid()
    if pid is None:
        progress.say("ministack", "not running")
    else:
        # The port it runs on, which a DEVSTACK_GATEWAY_PORT of this shell may not name.
        ministack = Ministack(port=ministack.running_port() or settings.gateway_port)
        health = "healthy" if ministack.is_healthy() else "NOT answering"
        progress.say("ministack", f"pid {pid}, {health} at {ministack.health_url}")

    clusters = list(existing_clusters(find_postgres_bindir_or_none(), settings.pg_port, runner))
    for cluster in clusters:
        port = cluster.running_port()
        state = f"running on {LOOPBACK}:{port}" if port else "stopped"
        progress.say("postgres", f"{state}, data in {relative(cluster.data_dir)}")
    if not clusters:
        progress.say("postgres", "no private cluster")

    env_state = "present" if STACK_ENV_FILE.is_file() else "absent (run `make dev`)"
    progress.say("env", f"{relative(STACK_ENV_FILE)} {env_state}")


def command_clean(settings: Settings, runner: Runner, progress: Progress) -> None:
    command_down(settings, runner, progress)
    for folder in (BUILD_DIR, *postgres_base_candidates()):
        shutil.rmtree(folder, ignore_errors=True)
    progress.say("clean", f"deleted {relative(STACK_DIR)} and {relative(BUILD_DIR)}")


COMMANDS = {
    "up": command_up,
    "down": command_down,
    "status": command_status,
    "clean": command_clean,
}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=sorted(COMMANDS))
    arguments = parser.parse_args(argv)
    try:
        settings = Settings.from_environ(os.environ, remembered_ports())
        COMMANDS[arguments.command](
            settings, Runner(verbose=settings.verbose), Progress.from_environ(os.environ)
        )
    except DevStackError as exc:
        print(f"devstack: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
