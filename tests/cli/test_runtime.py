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
