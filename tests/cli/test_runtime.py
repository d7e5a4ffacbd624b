import pytest
import typer

from incident_cli.cli.runtime import ExitStatus, exit_status_for, fail
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


def test_exit_status_table():
    table = {UsageError: 2, OperationRejected: 65, Unavailable: 69, ClientBug: 70, OutputError: 74,
             OutputOverflow: 75, ProtocolMismatch: 76, AuthError: 77, ConfigError: 78}
    for kind, status in table.items():
        assert exit_status_for(kind("x")) == status
    assert (ExitStatus.SIGHUP, ExitStatus.SIGINT, ExitStatus.SIGTERM) == (129, 130, 143)


def test_fail_writes_one_sanitised_line(capsys):
    with pytest.raises(typer.Exit) as info:
        fail(AuthError("rejected: \x1b]0;evil\x07 token"))
    assert info.value.exit_code == 77
    err = capsys.readouterr().err
    assert err == "incidents: error: rejected: ^[]0;evil^G token\n"
    with pytest.raises(typer.Exit):
        fail(UsageError("bad --for"))
    assert capsys.readouterr().err == "incidents: usage error: bad --for\n"
