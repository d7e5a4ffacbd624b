import asyncio

import pytest
import typer

from incident_cli.cli.runtime import ExitStatus, exit_status_for, fail, run_command
from incident_cli.errors import (
    AuthError,
    ClientBug,
    ConfigError,
    OperationRejected,
    OutputError,
    OutputOverflow,
    ProtocolMismatch,
    Unavailable,
    UsageError,
)
from tests.helpers import memory_env, seconds


def test_exit_status_table():
    table = {UsageError: 2, OperationRejected: 65, Unavailable: 69, ClientBug: 70, OutputError: 74,
             OutputOverflow: 75, ProtocolMismatch: 76, AuthError: 77, ConfigError: 78}
    for kind, status in table.items():
        assert exit_status_for(kind("x")) == status
    assert (ExitStatus.SIGHUP, ExitStatus.SIGINT, ExitStatus.SIGTERM) == (129, 130, 143)


def test_fail_writes_one_sanitised_line_to_the_commands_stderr():
    env = memory_env()
    with pytest.raises(typer.Exit) as info:
        fail(env, AuthError("rejected: \x1b]0;evil\x07 token"))
    assert info.value.exit_code == 77
    assert env.stderr.getvalue() == "incidents: error: rejected: ^[]0;evil^G token\n"
    with pytest.raises(typer.Exit):
        fail(env, UsageError("bad --for"))
    assert env.stderr.getvalue().splitlines()[-1] == "incidents: usage error: bad --for"


def test_a_command_runs_in_process_and_its_outcome_is_the_exit_status():
    env = memory_env()

    async def fine(_stop):
        env.stdout.write("data\n")
        return 3

    async def broken(_stop):
        raise Unavailable("nobody home")

    async def stopped(stop):
        stop(0)  # what the writer does when stdout's reader goes away
        await asyncio.sleep(seconds(10))

    with pytest.raises(typer.Exit) as done:
        run_command(env, fine)
    assert done.value.exit_code == 3 and env.stdout.getvalue() == "data\n"
    with pytest.raises(typer.Exit) as failed:
        run_command(env, broken)
    assert failed.value.exit_code == 69 and env.stderr.getvalue() == "incidents: error: nobody home\n"
    run_command(env, stopped)  # ends at once, status 0, and an in-process run is never hard-exited


def test_line_outputs_of_the_real_process_collect_garbage_rarely_in_process_runs_leave_it_alone():
    import gc
    import subprocess
    import sys

    from incident_cli.cli.runtime import GC_THRESHOLD, collect_rarely

    probe = (
        "import gc, sys\n"
        "from incident_cli.cli.runtime import collect_rarely\n"
        "from incident_cli.env import Env\n"
        "print(collect_rarely(Env.from_process()), gc.get_threshold()[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == ["True", str(GC_THRESHOLD)], done.stderr
    before = gc.get_threshold()
    assert collect_rarely(memory_env()) is False and gc.get_threshold() == before


def _shell(command, redirect, url="ws://127.0.0.1:9/graphql/ws"):
    """``incidents COMMAND REDIRECT`` in a shell, stderr captured unless the redirect moves it."""
    import os
    import shlex
    import subprocess

    from tests.helpers import INCIDENTS, seconds

    line = f"{shlex.join(INCIDENTS)} {command.format(url=url)} {redirect}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTS_")}
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=seconds(60), env=environ)


FULL_DISK_COMMANDS = ("list --url {url}", "watch --once --url {url}", "list --url {url} -o text",
                      "show 8d116ece -o json --url {url}", "schema --url {url}", "check --json --url {url}",
                      "--help", "--version", "config show")


def test_every_command_into_a_full_disk_or_a_closed_stdout_is_74_in_one_line():
    from tests.helpers import demo

    with demo("--rate", "0") as url:
        for command in FULL_DISK_COMMANDS:
            for redirect in (">/dev/full", ">&-"):
                result = _shell(command, redirect, url)
                assert result.returncode == 74, (command, redirect, result.stderr)
                said = result.stderr.splitlines()
                assert len(said) == 1 and said[0].startswith("incidents: error: cannot write the output"), (command, said)


def test_a_stderr_that_is_closed_or_full_changes_no_status():
    for command, status in (("watch --url {url} --for 1s", 69), ("watch --severity P9", 2), ("show nope --url {url}", 69)):
        for redirect in ("2>&-", "2>/dev/full"):
            assert _shell(command, redirect).returncode == status, (command, redirect)


def test_help_into_a_reader_that_takes_one_line_is_0():
    for command in ("--help", "watch --help"):
        result = _shell(command, "| head -1 >/dev/null; exit ${PIPESTATUS[0]}")
        assert result.returncode == 0 and result.stderr == "", (command, result.stderr)
