"""Play a quiz with N simulated players on the local stack and measure what the server sends.

    .venv/bin/python bench/play_quiz.py --players 10
    .venv/bin/python bench/play_quiz.py --players 200 --json

Each run creates its own quiz, users and questions in PostgreSQL (ids unique to the run)
and deletes them at the end. Players join over HTTP, connect their WebSocket a bounded
number at a time, answer every question after a short random think time, wait until every
player has finished plus a short linger (to receive the last leaderboard push), and close.

The URLs come from ``.stack/stack.env`` (written by ``make dev``), else from the variables
of the same names in the environment. Only loopback addresses are accepted.

Exit status: 0 when every player finished, 2 when some did not (or the run timed out),
1 when the run could not be set up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import shlex
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from quiz_core.security.passwords import hash_password

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STACK_ENV = ROOT / ".stack" / "stack.env"
STACK_VARIABLES = ("HTTP_API_URL", "WEBSOCKET_URL", "DATABASE_URL")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

CHOICES = ("alpha", "beta", "gamma", "delta")
QUESTION_TIME_LIMIT_MS = 20_000
PLAYER_PASSWORD = "benchmark player password"  # noqa: S105 - throwaway users of one run
QUIZ_LENGTH = timedelta(minutes=10)
# The quiz opens a little in the past, so a clock a few seconds apart still finds it open.
QUIZ_OPENED_AGO = timedelta(seconds=5)

HTTP_TIMEOUT_S = 30.0
WEBSOCKET_OPEN_TIMEOUT_S = 30.0
DATABASE_TIMEOUT_S = 10
# A push is expected at a connection only if it stayed open this long after the push began.
PUSH_DELIVERY_ALLOWANCE_MS = 1_000

UNPARSED = "<unparsed>"


class BenchError(Exception):
    """The benchmark cannot run; the message says what to fix."""


# --- settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    players: int
    questions: int
    concurrency: int
    think_ms: tuple[int, int]
    seed: int
    timeout_s: float
    stall_s: float
    linger_s: float
    push_interval_s: float
    stack_env: Path
    as_json: bool
    trace: Path | None


@dataclass(frozen=True, repr=False)
class StackEndpoints:
    """Where the stack listens; ``repr`` hides the database URL, which holds a password."""

    http_api_url: str
    websocket_url: str
    database_url: str

    def __repr__(self) -> str:
        return f"StackEndpoints({self.http_api_url!r}, {self.websocket_url!r}, <database>)"


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--players", type=int, default=10, help="simulated players (10)")
    parser.add_argument("--questions", type=int, default=5, help="questions in the quiz (5)")
    parser.add_argument("--concurrency", type=int, default=50, help="joins/connects at once (50)")
    parser.add_argument(
        "--think-ms",
        type=int,
        nargs=2,
        default=(50, 300),
        metavar=("MIN", "MAX"),
        help="think time before each answer, uniform in [MIN, MAX] ms (50 300)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice (1)")
    parser.add_argument("--timeout", type=float, default=180.0, help="bound of the play, s (180)")
    parser.add_argument(
        "--stall", type=float, default=30.0, help="a player gives up after this long silent (30)"
    )
    parser.add_argument(
        "--linger", type=float, default=2.5, help="stay connected after all finished, s (2.5)"
    )
    parser.add_argument(
        "--push-interval",
        type=float,
        default=1.0,
        help="the stack's LeaderboardPushIntervalSeconds, to check coalescing against (1)",
    )
    parser.add_argument("--stack-env", type=Path, default=DEFAULT_STACK_ENV)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--trace", type=Path, help="write every message received, one JSON line each, to TRACE"
    )
    args = parser.parse_args(argv)
    return _validated(args)


def _validated(args: argparse.Namespace) -> Options:
    low, high = args.think_ms
    positive = min(args.stall, args.linger, args.push_interval) > 0
    checks = {
        "--players must be from 1 to 2000": 1 <= args.players <= 2000,
        "--questions must be from 1 to 50": 1 <= args.questions <= 50,
        "--concurrency must be from 1 to 500": 1 <= args.concurrency <= 500,
        "--think-ms needs 0 <= MIN <= MAX <= 60000": 0 <= low <= high <= 60_000,
        "--timeout must be from 1 to 3600 s": 1 <= args.timeout <= 3600,
        "--stall, --linger and --push-interval must be positive": positive,
    }
    failed = [message for message, ok in checks.items() if not ok]
    if failed:
        raise BenchError("; ".join(failed))
    return Options(
        players=args.players,
        questions=args.questions,
        concurrency=args.concurrency,
        think_ms=(low, high),
        seed=args.seed,
        timeout_s=args.timeout,
        stall_s=args.stall,
        linger_s=args.linger,
        push_interval_s=args.push_interval,
        stack_env=args.stack_env,
        as_json=args.json,
        trace=args.trace,
    )


def load_endpoints(stack_env: Path, environ: Mapping[str, str]) -> StackEndpoints:
    """The stack's URLs: the file's values first, the environment's for what it lacks."""
    values = {name: environ[name] for name in STACK_VARIABLES if environ.get(name)}
    if stack_env.is_file():
        values.update(read_env_file(stack_env))
    missing = [name for name in STACK_VARIABLES if not values.get(name)]
    if missing:
        raise BenchError(
            f"{', '.join(missing)} not set: run `make dev` (it writes {stack_env}) or export them"
        )
    endpoints = StackEndpoints(
        values["HTTP_API_URL"].rstrip("/"),
        values["WEBSOCKET_URL"].rstrip("/"),
        values["DATABASE_URL"],
    )
    ensure_loopback("HTTP_API_URL", endpoints.http_api_url, ("http",))
    ensure_loopback("WEBSOCKET_URL", endpoints.websocket_url, ("ws",))
    ensure_loopback("DATABASE_URL", endpoints.database_url, ("postgresql", "postgres"))
    return endpoints


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines, values quoted as ``shlex.quote`` writes them."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 1 and "=" in words[0]:
            name, _, value = words[0].partition("=")
            values[name] = value
    return values


def ensure_loopback(name: str, url: str, schemes: tuple[str, ...]) -> None:
    location = urllib.parse.urlsplit(url)
    if location.scheme not in schemes or location.hostname not in LOOPBACK_HOSTS:
        port = f":{location.port}" if location.port else ""
        shown = f"{location.scheme}://{location.hostname}{port}"
        raise BenchError(
            f"{name} points at {shown}; this benchmark only targets a {'/'.join(schemes)} "
            "server on loopback (127.0.0.1), such as the stack of `make dev`"
        )


# --- the run's own quiz --------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuiz:
    quiz_id: str
    user_ids: tuple[str, ...]
    question_ids: tuple[str, ...]


def plan_quiz(tag: str, players: int, questions: int) -> BenchQuiz:
    return BenchQuiz(
        quiz_id=f"bench_{tag}",
        user_ids=tuple(f"bench_{tag}_u{n:04d}" for n in range(players)),
        question_ids=tuple(f"bench_{tag}_q{n:02d}" for n in range(questions)),
    )


def create_quiz(database_url: str, quiz: BenchQuiz, rng: random.Random) -> None:
    """Inserts the questions, the quiz (open now) and the users, in one transaction."""
    start = datetime.now(UTC).replace(tzinfo=None) - QUIZ_OPENED_AGO
    questions = [
        (qid, f"Benchmark question {n + 1}?", Jsonb(list(CHOICES)), rng.randrange(len(CHOICES)))
        for n, qid in enumerate(quiz.question_ids)
    ]
    password_hash = hash_password(PLAYER_PASSWORD)
    users = [(uid, f"player {uid}", password_hash) for uid in quiz.user_ids]
    with _connect(database_url) as conn, conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO questions (question_id, category, prompt, choices, correct_choice,"
            " time_limit_ms) VALUES (%s, 'benchmark', %s, %s, %s, %s)",
            [(*question, QUESTION_TIME_LIMIT_MS) for question in questions],
        )
        cur.execute(
            "INSERT INTO quizzes (quiz_id, name, start_time, end_time, questions)"
            " VALUES (%s, %s, %s, %s, %s)",
            (
                quiz.quiz_id,
                f"Benchmark {quiz.quiz_id}",
                start,
                start + QUIZ_LENGTH,
                Jsonb(list(quiz.question_ids)),
            ),
        )
        cur.executemany(
            "INSERT INTO users (id, username, password_hash) VALUES (%s, %s, %s)", users
        )


def delete_quiz(database_url: str, quiz: BenchQuiz) -> None:
    """Removes the quiz (participants, servings and answers go with it), users, questions."""
    with _connect(database_url) as conn, conn.transaction():
        conn.execute("DELETE FROM quizzes WHERE quiz_id = %s", (quiz.quiz_id,))
        conn.execute("DELETE FROM users WHERE id = ANY(%s)", (list(quiz.user_ids),))
        conn.execute(
            "DELETE FROM questions WHERE question_id = ANY(%s)", (list(quiz.question_ids),)
        )


def _connect(database_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        database_url,
        autocommit=True,
        connect_timeout=DATABASE_TIMEOUT_S,
        application_name="quiz-bench",
    )


# --- one player ----------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    kind: str
    at: float
    body: dict[str, Any]


@dataclass
class PlayerLog:
    """Everything one player did and saw; times are ``time.perf_counter()`` seconds."""

    user_id: str
    join_status: int | None = None
    join_started: float | None = None
    connect_started: float | None = None
    opened: float | None = None
    welcomed: float | None = None
    closed: float | None = None
    failure: str | None = None
    received: list[Received] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    result_at: dict[str, float] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)
    final_score: int | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class Roster:
    """Counts players who are done (finished or given up); wakes everyone when all are."""

    def __init__(self, size: int) -> None:
        self._waiting = set(range(size))
        self._everyone = asyncio.Event()

    def settle(self, index: int) -> None:
        self._waiting.discard(index)
        if not self._waiting:
            self._everyone.set()

    async def everyone_settled(self) -> None:
        await self._everyone.wait()


@dataclass(frozen=True)
class Game:
    """What every player shares: where to go, how to behave, and the common gates."""

    endpoints: StackEndpoints
    quiz: BenchQuiz
    options: Options
    gate: asyncio.Semaphore
    roster: Roster


async def play(game: Game, index: int, log: PlayerLog, rng: random.Random) -> None:
    try:
        socket = await _admitted(game, log)
        if socket is not None:
            async with socket:
                await _converse(game, index, socket, log, rng)
    finally:
        game.roster.settle(index)
        log.closed = log.closed or time.perf_counter()


async def _admitted(game: Game, log: PlayerLog) -> ClientConnection | None:
    """Joins and opens the WebSocket, a bounded number of players at a time."""
    async with game.gate:
        log.join_started = time.perf_counter()
        status, body = await asyncio.to_thread(
            post_join, game.endpoints.http_api_url, game.quiz.quiz_id, log.user_id
        )
        log.join_status = status
        if status != 200 or "websocket_url" not in body:
            log.failure = f"join answered {status}: {body.get('code', body)}"
            return None
        return await _open_socket(str(body["websocket_url"]), log)


def post_join(http_api_url: str, quiz_id: str, user_id: str) -> tuple[int, dict[str, Any]]:
    """Logs the player in, then joins the quiz with the token."""
    credentials = {"username": f"player {user_id}", "password": PLAYER_PASSWORD}
    status, login = _post(f"{http_api_url}/login", credentials, None)
    if status != 200:
        return status, login
    token = str(login.get("token", ""))
    return _post(f"{http_api_url}/join_quiz/{quiz_id}/{user_id}", None, token)


def _post(url: str, body: dict[str, Any] | None, token: str | None) -> tuple[int, dict[str, Any]]:
    # NOTE: no proxy, ever: the base URL was checked to be loopback http at start.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, method="POST", data=data, headers=headers)  # noqa: S310
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT_S) as reply:
            return reply.status, _json_object(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _json_object(exc.read())
    except (urllib.error.URLError, TimeoutError) as exc:
        return 0, {"code": type(exc).__name__}


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data or b"{}")
    except json.JSONDecodeError:
        return {"code": "not_json"}
    return value if isinstance(value, dict) else {"code": "not_an_object"}


async def _open_socket(url: str, log: PlayerLog) -> ClientConnection | None:
    ensure_loopback("websocket_url of the join reply", url, ("ws",))
    log.connect_started = time.perf_counter()
    try:
        # NOTE: no pings and no proxy: only the application's own frames are counted.
        socket = await connect(
            url, open_timeout=WEBSOCKET_OPEN_TIMEOUT_S, ping_interval=None, proxy=None
        )
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        log.failure = f"connect failed: {type(exc).__name__}: {exc}"
        return None
    log.opened = time.perf_counter()
    return socket


async def _converse(
    game: Game, index: int, socket: ClientConnection, log: PlayerLog, rng: random.Random
) -> None:
    answering: set[asyncio.Task[None]] = set()
    reader = asyncio.create_task(_read(socket, log, rng, game.options, answering))
    try:
        await _until_finished(log, reader, game.options.stall_s)
        game.roster.settle(index)
        await _linger(game, reader)
    finally:
        log.closed = time.perf_counter()
        await socket.close()
        for task in (*answering, reader):
            task.cancel()
        await asyncio.gather(reader, *answering, return_exceptions=True)


async def _until_finished(log: PlayerLog, reader: asyncio.Task[None], stall_s: float) -> None:
    """Returns when the player finished, the socket closed, or nothing came for ``stall_s``."""
    finished = asyncio.create_task(log.finished.wait())
    try:
        while True:
            seen = len(log.received)
            done, _ = await asyncio.wait(
                {finished, reader}, timeout=stall_s, return_when=asyncio.FIRST_COMPLETED
            )
            if done:
                if reader in done and not log.finished.is_set():
                    log.failure = log.failure or "socket closed before the player finished"
                return
            if len(log.received) == seen:
                log.failure = f"stalled: nothing received for {stall_s:.0f} s"
                return
    finally:
        finished.cancel()


async def _linger(game: Game, reader: asyncio.Task[None]) -> None:
    """Keeps reading until everyone is done, and a little longer for the last push."""
    everyone = asyncio.create_task(game.roster.everyone_settled())
    try:
        await asyncio.wait({everyone, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        everyone.cancel()
    if not reader.done():
        await asyncio.wait({reader}, timeout=game.options.linger_s)


async def _read(
    socket: ClientConnection,
    log: PlayerLog,
    rng: random.Random,
    options: Options,
    answering: set[asyncio.Task[None]],
) -> None:
    try:
        async for frame in socket:
            message = _record(log, frame)
            if message.kind == "question" and _is_new_question(log, message.body):
                task = asyncio.create_task(_answer(socket, log, message.body, rng, options))
                answering.add(task)
                task.add_done_callback(answering.discard)
    except ConnectionClosed as exc:
        log.failure = log.failure or f"socket closed by the server: {exc}"


def _record(log: PlayerLog, frame: str | bytes) -> Received:
    at = time.perf_counter()
    body = _parse_frame(frame)
    message = Received(kind=str(body.get("type", UNPARSED)), at=at, body=body)
    log.received.append(message)
    if message.kind == "welcome" and log.welcomed is None:
        log.welcomed = at
    elif message.kind == "answer_result":
        question_id = str(body.get("question_id"))
        log.result_at.setdefault(question_id, at)
        log.final_score = int(body.get("total_score", 0))
    elif message.kind == "finished":
        log.finished.set()
    return message


def _parse_frame(frame: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(frame)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {"raw": str(frame)[:200]}
    return value if isinstance(value, dict) else {"raw": str(frame)[:200]}


def _is_new_question(log: PlayerLog, question: dict[str, Any]) -> bool:
    """True the first time a question arrives; a repeated one is not answered again."""
    question_id = str(question.get("question_id"))
    if question_id in log.asked:
        return False
    log.asked.add(question_id)
    return True


async def _answer(
    socket: ClientConnection,
    log: PlayerLog,
    question: dict[str, Any],
    rng: random.Random,
    options: Options,
) -> None:
    low, high = options.think_ms
    await asyncio.sleep(rng.uniform(low, high) / 1000)
    question_id = str(question["question_id"])
    choice = rng.randrange(len(question.get("choices") or CHOICES))
    log.sent_at[question_id] = time.perf_counter()
    try:
        await socket.send(
            json.dumps({"action": "answer", "question_id": question_id, "choice": choice})
        )
    except ConnectionClosed:
        log.failure = log.failure or "socket closed before an answer could be sent"


# --- the whole run -------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    logs: list[PlayerLog]
    started: float
    ended: float
    timed_out: bool
    wall_offset_ms: float

    def wall_ms(self, at: float) -> float:
        """A ``perf_counter`` time as epoch milliseconds, the clock of the server's ``now``."""
        return at * 1000 + self.wall_offset_ms


async def run_players(endpoints: StackEndpoints, quiz: BenchQuiz, options: Options) -> RunRecord:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=options.concurrency))
    game = Game(
        endpoints, quiz, options, asyncio.Semaphore(options.concurrency), Roster(options.players)
    )
    logs = [PlayerLog(user_id) for user_id in quiz.user_ids]
    rngs = [random.Random(f"{options.seed}:{n}") for n in range(options.players)]
    wall_offset_ms = time.time() * 1000 - time.perf_counter() * 1000
    started = time.perf_counter()
    timed_out = False
    try:
        async with asyncio.timeout(options.timeout_s):
            await asyncio.gather(
                *(
                    play(game, n, log, rng)
                    for n, (log, rng) in enumerate(zip(logs, rngs, strict=True))
                )
            )
    except TimeoutError:
        timed_out = True
    return RunRecord(logs, started, time.perf_counter(), timed_out, wall_offset_ms)


# --- figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None


def percentiles(seconds: Iterable[float]) -> Percentiles:
    """Nearest-rank p50 and p95 of durations given in seconds, reported in milliseconds."""
    ordered = sorted(value * 1000 for value in seconds)
    if not ordered:
        return Percentiles(0, None, None, None)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 1)

    return Percentiles(len(ordered), rank(50), rank(95), round(ordered[-1], 1))


@dataclass(frozen=True)
class PushFigures:
    distinct: int
    per_second: float | None
    min_gap_ms: int | None
    gaps_under_interval: int
    partial: int
    missed_deliveries: int
    final_entries_stale: int


@dataclass(frozen=True)
class Problems:
    join_failures: dict[str, int]
    connect_failures: int
    unfinished_players: dict[str, int]
    errors_received: dict[str, int]
    duplicates: dict[str, int]
    unparsed_frames: int
    answers_without_result: int
    timed_out: bool


@dataclass(frozen=True)
class Report:
    quiz_id: str
    players: int
    players_finished: int
    questions: int
    answers: int
    posts_received: int
    posts_per_answer: float | None
    posts_by_type: dict[str, int]
    play_seconds: float | None
    answers_per_second: float | None
    total_seconds: float
    leaderboard: PushFigures
    join: Percentiles
    handshake: Percentiles
    welcome: Percentiles
    answer_rtt: Percentiles
    problems: Problems


def summarize(record: RunRecord, quiz: BenchQuiz, options: Options) -> Report:
    logs = record.logs
    answers = sum(len(log.sent_at) for log in logs)
    posts = sum(len(log.received) for log in logs)
    play = play_window(record)
    seconds = play[1] - play[0] if play else 0.0
    return Report(
        quiz_id=quiz.quiz_id,
        players=len(logs),
        players_finished=sum(1 for log in logs if log.finished.is_set()),
        questions=len(quiz.question_ids),
        answers=answers,
        posts_received=posts,
        posts_per_answer=round(posts / answers, 2) if answers else None,
        posts_by_type=dict(Counter(m.kind for log in logs for m in log.received).most_common()),
        play_seconds=round(seconds, 2) if play else None,
        answers_per_second=round(answers / seconds, 1) if seconds > 0 else None,
        total_seconds=round(record.ended - record.started, 2),
        leaderboard=push_figures(record, play, options.push_interval_s),
        join=percentiles(_spans(logs, "join_started", "connect_started")),
        handshake=percentiles(_spans(logs, "connect_started", "opened")),
        welcome=percentiles(_spans(logs, "connect_started", "welcomed")),
        answer_rtt=percentiles(_answer_round_trips(logs)),
        problems=problems(record),
    )


def play_window(record: RunRecord) -> tuple[float, float] | None:
    """From the first answer sent to the last message any player received."""
    sent = [at for log in record.logs for at in log.sent_at.values()]
    received = [m.at for log in record.logs for m in log.received]
    if not sent or not received:
        return None
    return min(sent), max(received)


def _spans(logs: Sequence[PlayerLog], start: str, end: str) -> list[float]:
    pairs = ((getattr(log, start), getattr(log, end)) for log in logs)
    return [b - a for a, b in pairs if a is not None and b is not None]


def _answer_round_trips(logs: Sequence[PlayerLog]) -> list[float]:
    return [
        log.result_at[question_id] - sent
        for log in logs
        for question_id, sent in log.sent_at.items()
        if question_id in log.result_at
    ]


def push_figures(
    record: RunRecord, play: tuple[float, float] | None, interval_s: float
) -> PushFigures:
    pushes = _pushes_by_now(record.logs)
    times = sorted(pushes)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    seconds = play[1] - play[0] if play else 0
    missed = [_missed(record, now, receivers) for now, receivers in pushes.items()]
    return PushFigures(
        distinct=len(pushes),
        per_second=round(len(pushes) / seconds, 2) if seconds > 0 else None,
        min_gap_ms=min(gaps) if gaps else None,
        gaps_under_interval=sum(1 for gap in gaps if gap < interval_s * 1000),
        partial=sum(1 for count in missed if count),
        missed_deliveries=sum(missed),
        final_entries_stale=_stale_final_entries(record.logs, pushes),
    )


def _pushes_by_now(logs: Sequence[PlayerLog]) -> dict[int, set[str]]:
    """Each distinct push, by its ``now``, with the players that received it."""
    pushes: dict[int, set[str]] = {}
    for log in logs:
        for message in log.received:
            if message.kind == "leaderboard":
                now_ms = int(message.body.get("now", -1))
                pushes.setdefault(now_ms, set()).add(log.user_id)
    return pushes


def _missed(record: RunRecord, now_ms: int, receivers: set[str]) -> int:
    """Players that were connected when the push began, stayed on, and did not get it."""
    eligible = [
        log.user_id
        for log in record.logs
        if log.welcomed is not None
        and log.closed is not None
        and record.wall_ms(log.welcomed) < now_ms
        and record.wall_ms(log.closed) > now_ms + PUSH_DELIVERY_ALLOWANCE_MS
    ]
    return sum(1 for user_id in eligible if user_id not in receivers)


def _stale_final_entries(logs: Sequence[PlayerLog], pushes: Mapping[int, set[str]]) -> int:
    """Entries of the last push whose score differs from the player's final score."""
    if not pushes:
        return 0
    last = max(pushes)
    final = {log.user_id: log.final_score for log in logs if log.finished.is_set()}
    return sum(
        1
        for entry in _board_of(logs, last).get("entries", [])
        if entry.get("user_id") in final and entry.get("score") != final[entry["user_id"]]
    )


def _board_of(logs: Sequence[PlayerLog], now_ms: int) -> dict[str, Any]:
    for log in logs:
        for message in log.received:
            if message.kind == "leaderboard" and message.body.get("now") == now_ms:
                return message.body
    return {}


def problems(record: RunRecord) -> Problems:
    logs = record.logs
    join_failures = Counter(str(log.join_status) for log in logs if log.join_status != 200)
    unfinished = Counter(
        (log.failure or "did not finish").split(":")[0]
        for log in logs
        if not log.finished.is_set() and log.join_status == 200
    )
    errors = Counter(
        str(m.body.get("code")) for log in logs for m in log.received if m.kind == "error"
    )
    return Problems(
        join_failures=dict(join_failures),
        connect_failures=sum(1 for log in logs if log.join_status == 200 and log.opened is None),
        unfinished_players=dict(unfinished),
        errors_received=dict(errors),
        duplicates=dict(sum((_duplicates(log) for log in logs), Counter())),
        unparsed_frames=sum(1 for log in logs for m in log.received if m.kind == UNPARSED),
        answers_without_result=sum(len(set(log.sent_at) - set(log.result_at)) for log in logs),
        timed_out=record.timed_out,
    )


def _duplicates(log: PlayerLog) -> Counter[str]:
    """Messages one connection received more than once: same type and same identity."""
    keys = Counter(_identity(m) for m in log.received if m.kind not in ("error", UNPARSED))
    return Counter({key[0]: count - 1 for key, count in keys.items() if count > 1})


def _identity(message: Received) -> tuple[str, str]:
    body = message.body
    if message.kind in ("question", "answer_result"):
        return message.kind, str(body.get("question_id"))
    if message.kind == "leaderboard":
        return message.kind, str(body.get("now"))
    return message.kind, ""


# --- output --------------------------------------------------------------------------


def render_table(report: Report, options: Options) -> str:
    pushes = report.leaderboard
    rows = [
        ("players (finished)", f"{report.players} ({report.players_finished})"),
        ("answers sent", str(report.answers)),
        ("posts received", str(report.posts_received)),
        ("posts per answer", _number(report.posts_per_answer)),
        ("  by type", ", ".join(f"{k} {v}" for k, v in report.posts_by_type.items())),
        ("leaderboard pushes", str(pushes.distinct)),
        ("pushes per second (quiz)", _number(pushes.per_second)),
        ("min gap between pushes", _unit(pushes.min_gap_ms, "ms")),
        ("join p50 / p95", _latency(report.join)),
        ("connect handshake p50 / p95", _latency(report.handshake)),
        ("connect -> welcome p50 / p95", _latency(report.welcome)),
        ("answer round trip p50 / p95", _latency(report.answer_rtt)),
        ("play duration", _unit(report.play_seconds, "s")),
        ("answers per second of play", _unit(report.answers_per_second, "/s")),
        ("total duration", _unit(report.total_seconds, "s")),
    ]
    width = max(len(name) for name, _ in rows)
    title = (
        f"quiz {report.quiz_id}: {report.players} players x {report.questions} questions, "
        f"concurrency {options.concurrency}, seed {options.seed}"
    )
    lines = [title, *(f"  {name:<{width}}  {value}" for name, value in rows)]
    return "\n".join([*lines, "problems:", *_problem_lines(report, options)])


def _problem_lines(report: Report, options: Options) -> list[str]:
    found = report.problems
    pushes = report.leaderboard
    candidates: list[tuple[str, object]] = [
        (f"the run hit its {options.timeout_s:.0f} s bound", found.timed_out),
        ("join failures by status", found.join_failures),
        ("WebSocket connects refused or failed", found.connect_failures),
        ("players who did not finish, by reason", found.unfinished_players),
        ("error messages by code", found.errors_received),
        ("duplicate messages by type", found.duplicates),
        ("frames that are not JSON objects", found.unparsed_frames),
        ("answers with no answer_result", found.answers_without_result),
        ("gaps between pushes under the interval", pushes.gaps_under_interval),
        ("pushes that missed an open connection", pushes.partial),
        ("deliveries those pushes missed", pushes.missed_deliveries),
        ("entries of the last push not at their final score", pushes.final_entries_stale),
    ]
    lines = [f"  - {label}: {value}" for label, value in candidates if value]
    return lines or ["  none seen"]


def _latency(figures: Percentiles) -> str:
    if figures.count == 0:
        return "-"
    spread = f"{figures.p50_ms:.0f} / {figures.p95_ms:.0f} ms"
    return f"{spread} (max {figures.max_ms:.0f}, n={figures.count})"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _unit(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g} {unit}"


# --- entry point ---------------------------------------------------------------------


def run(options: Options, endpoints: StackEndpoints) -> Report:
    quiz = plan_quiz(secrets.token_hex(4), options.players, options.questions)
    create_quiz(endpoints.database_url, quiz, random.Random(options.seed))
    try:
        record = asyncio.run(run_players(endpoints, quiz, options))
    finally:
        delete_quiz(endpoints.database_url, quiz)
    if options.trace is not None:
        write_trace(options.trace, record)
    return summarize(record, quiz, options)


def write_trace(path: Path, record: RunRecord) -> None:
    """One line per message: player, milliseconds since the run began, and the message."""
    with path.open("w", encoding="utf-8") as out:
        for log in record.logs:
            for message in log.received:
                at_ms = round((message.at - record.started) * 1000, 1)
                line = {"user_id": log.user_id, "at_ms": at_ms, "message": message.body}
                out.write(json.dumps(line) + "\n")


def main(argv: Sequence[str]) -> int:
    try:
        options = parse_options(argv)
        report = run(options, load_endpoints(options.stack_env, os.environ))
    except BenchError as exc:
        print(f"play_quiz: error: {exc}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as exc:
        print(f"play_quiz: error: PostgreSQL failed or is unreachable: {exc}", file=sys.stderr)
        return 1

    print(
        json.dumps(asdict(report), indent=2) if options.as_json else render_table(report, options)
    )
    complete = report.players_finished == report.players and not report.problems.timed_out
    return 0 if complete else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
