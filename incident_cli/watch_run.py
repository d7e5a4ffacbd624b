"""``incidents watch`` carried out: a plan and an environment in, the run's result out.

The I/O of a watch, in order: warnings said before connecting, the demo server when asked
for, each server's TLS context, credentials and schema adaptation, the output and its
extras (record, hooks, bell), then the watch itself. Nothing here reads the process's
streams or environment: ``env`` has them. The CLI turns the result into an exit status.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from incident_cli.driver.credentials import expiry_notice, make_credentials
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.schema_source import adaptation
from incident_cli.env import Env
from incident_cli.errors import ConfigError
from incident_cli.memory import Memory
from incident_cli.render import Output, Streams, rendered
from incident_cli.render.status import StatusLines
from incident_cli.sources import Source, watch_sources
from incident_cli.watch import WatchResult
from incident_cli.watch_plan import ExtrasSpec, SourcePlan, WatchPlan
from incident_cli.wording import plural

if TYPE_CHECKING:
    from incident_cli.act import ConsoleActor
    from incident_cli.demo.server import DemoServer
    from incident_cli.hooks import HookRunner


BOUND_FLAGS = {"count": "--count", "duration": "--for", "idle": "--idle-exit"}  # a run's end by its bound


async def run_watch(plan: WatchPlan, env: Env, stop: Callable[[int], None]) -> WatchResult:
    for warning in plan.warnings:
        env.say(f"incidents: {warning}")
    with _debug_logging(env, plan.debug):
        server = await _demo() if plan.demo else None
        try:
            sources = [_source(one, plan, env, server.url if server is not None else None) for one in plan.sources]
            with _recording(plan.extras.record) as record:
                streams = Streams(stdout=env.stdout, stderr=env.stderr, environ=env.environ)

                # One record per incident, for the watch and every output (a table's: what it shows too).
                memory = Memory(views=plan.output.mode == "table")

                async def run(output: Output) -> WatchResult:
                    watching = lambda out: watch_sources(sources, out, plan.count, memory)  # noqa: E731
                    return await _with_extras(output, plan.extras, record, env, watching, memory)

                started = asyncio.get_running_loop().time()
                actor = _actor(plan, sources, env) if plan.output.interactive else None
                result = await rendered(plan.output, streams, run, stop=stop, server=sources[0].config.url, memory=memory,
                                        actor=actor)
                on_screen = plan.output.mode == "table" and not plan.output.listing and env.isatty(env.stdout)
                if on_screen and result.reason in BOUND_FLAGS:
                    # The view is gone or frozen: one line says what the run saw and why it ended.
                    elapsed = asyncio.get_running_loop().time() - started
                    env.say(f"incidents: {plural(result.events, 'event')} in {elapsed:.1f} s, "
                            f"stopped by {BOUND_FLAGS[result.reason]}")
                return result
        finally:
            if server is not None:
                await server.stop()


def _source(one: SourcePlan, plan: WatchPlan, env: Env, demo_url: str | None) -> Source:
    """One server, ready to connect: TLS, credentials, and the documents fitted to its schema."""
    settings = one.settings
    config = SessionConfig.from_settings(settings, url=demo_url, first_contact=plan.unconfigured)
    credentials = make_credentials(settings, config.ssl)
    notice = None if plan.demo else expiry_notice(settings, plan.request.duration, time.time())
    if notice and (notice.startswith("warning") or env.isatty(env.stderr)):  # notes are for people, not cron
        env.say(f"incidents: {notice}")
    planner, documents = (None, None)
    if plan.adapt:
        planner, documents = adaptation(
            config.url, streams=plan.streams, severities=plan.request.severities, custom=plan.custom, environ=env.environ,
            incident_ids=tuple(sorted(plan.request.only_ids)), states=plan.request.facets.states,
        )
    return Source(name=one.name, config=config, request=plan.request, credentials=credentials, planner=planner,
                  documents=documents)


def _actor(plan: WatchPlan, sources: list[Source], env: Env) -> ConsoleActor | None:
    """The console's actions on these servers: none for a custom document (no incidents to act on)."""
    if plan.custom is not None:
        return None
    from incident_cli.act import ConsoleActor, Server

    servers = {one.name: Server(config=source.config, credentials=source.credentials, documents=source.documents,
                                user=one.settings.user)
               for one, source in zip(plan.sources, sources, strict=True)}
    return ConsoleActor(servers, env.environ, read_only=any(one.settings.read_only for one in plan.sources))


async def _demo() -> DemoServer:
    from incident_cli.demo.server import DemoServer, ServerOptions

    return await DemoServer(ServerOptions(port=0)).start()


@contextlib.contextmanager
def _debug_logging(env: Env, on: bool) -> Iterator[None]:
    if not on:
        yield
        return
    from incident_cli.redact import debug_logging

    with debug_logging(env.stderr):
        yield


@contextlib.contextmanager
def _recording(path: Path | None) -> Iterator[IO[str] | None]:
    """--record FILE: appended to, and closed when the run ends."""
    if path is None:
        yield None
        return
    try:
        stream = open(path, "a", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the recording {path}: {exc.strerror}") from None
    with stream:
        yield stream


async def _with_extras(
    output: Output,
    extras: ExtrasSpec,
    record: IO[str] | None,
    env: Env,
    run: Callable[[Output], Awaitable[WatchResult]],
    memory: Memory,
) -> WatchResult:
    """Wrap ``output`` with the extras, run ``run(output)``, then let the hooks finish."""
    from incident_cli.hooks import Hooked, HookRunner

    if record is not None:
        from incident_cli.record import Recording

        output = Recording(output, record)
    runner = None
    if extras.hook:
        status = StatusLines(env.stderr)
        runner = HookRunner(extras.hook, concurrency=extras.hook_concurrency, timeout=extras.hook_timeout,
                            warn=lambda text: status.line(f"warning: {text}"), environ=env.environ)
    notifier = _notifier(extras, env) if extras.notify else None
    if runner is not None or extras.bell or notifier is not None:
        output = Hooked(output, runner=runner, bell=(lambda: _bell(env)) if extras.bell else None, memory=memory,
                        notifier=notifier, notify=extras.notify, bell_on=extras.bell)
    try:
        return await run(output)
    finally:
        for hooks in (runner, notifier):
            if hooks is not None:
                await hooks.drain(extras.hook_timeout)


# The incident's words reach the notifier through its environment, never spliced into the command.
NOTIFIERS = (
    ("notify-send", 'notify-send --app-name=incidents "incidents: $INCIDENT_SEVERITY" "$INCIDENT_TITLE"'),
    ("osascript", 'osascript -e \'display notification (system attribute "INCIDENT_TITLE") with title '
                  '"incidents: " & (system attribute "INCIDENT_SEVERITY")\''),
)


def _notifier(extras: ExtrasSpec, env: Env) -> HookRunner | None:
    """--notify: the desktop's own notifier, run like a hook; said once when there is none."""
    import shutil

    from incident_cli.hooks import HookRunner

    status = StatusLines(env.stderr)
    for program, command in NOTIFIERS:
        if shutil.which(program, path=env.environ.get("PATH")):
            return HookRunner(command, concurrency=2, timeout=extras.hook_timeout,
                              warn=lambda text: status.line(f"warning: --notify: {text}"), environ=env.environ)
    status.line("warning: --notify: no notify-send (Linux) or osascript (macOS) here: no desktop notifications")
    return None


def _bell(env: Env) -> None:
    # BEL on the terminal, never into the data on stdout (works inside tmux).
    stream = env.stderr if env.isatty(env.stderr) else (env.stdout if env.isatty(env.stdout) else None)
    if stream is not None:
        stream.write("\a")
        stream.flush()
