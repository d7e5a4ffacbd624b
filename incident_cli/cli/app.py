"""The Typer app: its commands, and the two ways in (the console script, and in-process runs).

Heavy modules (websockets, graphql-core, the demo server) are imported inside the
commands, after parsing, so ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import copy
import sys
from typing import Annotated, Optional

import typer

from incident_cli import __version__
from incident_cli.cli import config_commands  # noqa: F401  (registers config set/get/use/profiles/init)
from incident_cli.cli.act import ack, assign, comment, escalate, resolve, take
from incident_cli.cli.bare_values import fill_bare
from incident_cli.cli.check import check
from incident_cli.cli.credentials import config_app, token
from incident_cli.cli.demo import demo
from incident_cli.cli.options import env_of
from incident_cli.cli.replay import replay
from incident_cli.cli.report import report
from incident_cli.cli.runtime import OUTPUT_ERRNOS, ExitStatus, discard_pending, epilog
from incident_cli.cli.schema import schema
from incident_cli.cli.show import list_, show
from incident_cli.cli.watch import watch
from incident_cli.env import Env
from incident_cli.sanitize import sanitize

app = typer.Typer(
    name="incidents",
    help="A command-line tail for incident streams (GraphQL subscriptions over WebSocket).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        env_of(ctx).stdout.write(f"incidents {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """incidents: tail an incident server's live stream."""


app.command(epilog=epilog(
    "incidents watch --severity P0,P1",
    "incidents watch --team payments --assignee none -o text",
    "incidents watch --for 4m --fail-on P0 -o jsonl >> p0.jsonl || notify-oncall",
    "incidents watch --jq 'select(.severity == \"P0\") | .title'",
    "incidents watch --demo",
))(watch)
app.command("list", epilog=epilog("incidents list --severity P0,P1", "incidents list --team sre -o text",
                                   "incidents list -o json --jq .incident_id"))(list_)
app.command(epilog=epilog("incidents show 8d116ece", "incidents show 8d116ece -o json | jq .assignedTo",
                           "incidents show 8d116ece --recording night.jsonl"))(show)
app.command(epilog=epilog("incidents ack 3f2a91c0",
                          "incidents list --team payments --state NEW -o json --jq .incident_id | incidents ack -"))(ack)
app.command(epilog=epilog("incidents take 3f2a91c0", "incidents take 3f2a91c0 && incidents show 3f2a91c0 --follow"))(take)
app.command(epilog=epilog("incidents assign 3f2a91c0 --to alice --to bob"))(assign)
app.command(epilog=epilog("incidents comment 3f2a91c0 -m 'looking: rolling back the deploy'",
                          "git log -1 | incidents comment 3f2a91c0 -m -"))(comment)
app.command(epilog=epilog("incidents escalate 3f2a91c0 P0 --reason 'checkout is down for every region'"))(escalate)
app.command(epilog=epilog("incidents resolve 3f2a91c0 --notes 'rolled back 4.2.1' --root-cause 'bad config push'"))(resolve)
app.command(epilog=epilog("incidents report --since 8h", "incidents report --since 12h -o md | wl-copy",
                           "incidents report --recording night.jsonl -o json | jq .median_to_resolve"))(report)
app.command(epilog=epilog("incidents replay night.jsonl", "incidents replay night.jsonl --speed 4",
                           "incidents replay night.jsonl --speed 0 -o text"))(replay)
app.command(epilog=epilog("incidents check --profile prod", "incidents check --json --timeout 2s || page-someone"))(check)
app.command(epilog=epilog("incidents schema --profile prod", "incidents schema --json | jq .differences"))(schema)
app.command(epilog=epilog("incidents token --profile prod", "incidents token --json | jq .expires_at"))(token)
app.command(epilog=epilog("incidents demo", "incidents demo --incidents 50 --rate 20",
                           "incidents demo --schema-variant drifted --port 18080"))(demo)
app.add_typer(config_app, name="config")


# Click's UsageError (a bad option, a missing argument): Typer vendors Click and exports only its
# subclass BadParameter, so the base is found through it.
_ClickUsageError: type[typer.BadParameter] = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "UsageError")


def run(argv: list[str] | None, env: Env) -> int:
    """Run one command line in ``env`` and return its exit status (in-process: tests, embedding)."""
    try:
        # The same name (and completion variable) under python -m; Click's own usage errors are
        # said here, in the tool's one-line style, rather than in a box.
        line = sys.argv[1:] if argv is None else argv
        command = typer.main.get_command(_only(line, env))
        args = _filled(line, command)
        returned = command.main(args=args, prog_name="incidents", obj=env, standalone_mode=False)
        if isinstance(returned, int):  # an Exit(status) raised by a command comes back as its status
            return returned
    except _ClickUsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # `incidents` alone: the help, as gh and kubectl
            env.stdout.write(error.format_message() + "\n")
            return int(ExitStatus.OK)
        where = f"; see {error.ctx.command_path} --help" if error.ctx is not None else ""
        message = sanitize(error.format_message(), max_length=600).rstrip(".")
        env.say(f"incidents: usage error: {message}{where}")
        return int(ExitStatus.USAGE)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        env.say("incidents: aborted")
        return int(ExitStatus.SIGINT)
    except SystemExit as done:
        if isinstance(done.__context__, BrokenPipeError):
            # Rich's and Click's answer to EPIPE (help into `| head`) is exit 1: the reader had
            # what it wanted, which is a 0 here as everywhere else.
            discard_pending(env)
            return int(ExitStatus.OK)
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitStatus.CLIENT_BUG))
    except BrokenPipeError:  # help or a listing into `| head`: the reader had what it wanted
        discard_pending(env)
        return int(ExitStatus.OK)
    except OSError as error:
        if error.errno not in OUTPUT_ERRNOS:
            raise
        discard_pending(env)  # help into a full disk: said in one line, 74, as every command's output
        env.say(f"incidents: error: cannot write the output: {error.strerror or error}")
        return int(ExitStatus.OUTPUT_ERROR)
    except Exception as exc:
        if env.environ.get("INCIDENTS_DEBUG"):
            raise
        env.say(f"incidents: internal error: {type(exc).__name__}: {sanitize(str(exc), max_length=300)}")
        return int(ExitStatus.CLIENT_BUG)
    return int(ExitStatus.OK)


def _only(argv: list[str], env: Env) -> typer.Typer:
    """The app with only the command being run, when it names one: Typer builds every command's
    options from its signature on each run, and 16 commands cost a one-event run ~30 ms
    (issue 16). The whole app for the rest: help, a typo (suggestions), shell completion."""
    name = argv[0] if argv else ""
    if name.startswith("-") or any(key.endswith("_COMPLETE") for key in env.environ):
        return app
    commands = [c for c in app.registered_commands
                if (c.name or typer.main.get_command_name(c.callback.__name__ if c.callback else "")) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one


def _filled(argv: list[str], group: object) -> list[str]:
    """The command line with bare optional values given their defaults (``--bell`` alone: P0,P1)."""
    sub = group.commands.get(argv[0]) if argv and isinstance(group, typer.core.TyperGroup) else None
    if sub is None:
        return argv
    valued = (name for param in sub.params if not getattr(param, "is_flag", True) for name in param.opts)
    return fill_bare(argv, valued)


def main() -> None:
    """The console script: the process's own streams and environment."""
    env = Env.from_process()
    # Closed by the shell: what libraries write there (Click's and Rich's help, logging's last
    # resort) goes where ours does: stdout fails as ours does (74), stderr goes nowhere.
    if sys.stdout is None:
        sys.stdout = env.stdout
    if sys.stderr is None:
        sys.stderr = env.stderr
    status = run(None, env)
    try:
        env.stdout.flush()  # what help or a command left buffered: its failure is said here, not at exit
    except BrokenPipeError:
        discard_pending(env)
    except OSError as error:
        discard_pending(env)
        if status == ExitStatus.OK:
            env.say(f"incidents: error: cannot write the output: {error.strerror or error}")
            status = int(ExitStatus.OUTPUT_ERROR)
    sys.exit(status)
