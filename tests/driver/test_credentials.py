import sys

import pytest

from incident_cli.auth import Token
from incident_cli.demo.auth import RefreshEndpoint, mint_token, verify_token
from incident_cli.driver.credentials import (
    CommandCredentials,
    FileCredentials,
    RefreshingCredentials,
    StaticCredentials,
    make_credentials,
)
from incident_cli.errors import AuthError, ConfigError, Unavailable
from incident_cli.settings import Secret, Settings
from tests.helpers import run


def test_static_token():
    token = Token(mint_token("s", lifetime=60))
    credentials = StaticCredentials(token)
    assert run(credentials.current()) == token and run(credentials.refresh()) is None
    assert not credentials.refreshable and credentials.expires_at is not None


def test_file_is_read_again_for_every_connection(tmp_path):
    path = tmp_path / "token"
    path.write_text("first")
    path.chmod(0o600)
    credentials = FileCredentials(path)
    assert run(credentials.current()) == Token("first")
    assert run(credentials.refresh()) is None  # unchanged: nothing new to offer
    path.write_text("second\n")
    assert run(credentials.refresh()) == Token("second")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        run(credentials.current())


def test_command_runs_for_every_connection(tmp_path):
    counter = tmp_path / "count"
    script = tmp_path / "token.py"
    script.write_text(
        "import pathlib,sys\n"
        f"p=pathlib.Path({str(counter)!r}); n=int(p.read_text()) if p.exists() else 0; p.write_text(str(n+1))\n"
        "print(f'token-{n+1}')\n"
    )
    credentials = CommandCredentials((sys.executable, str(script)))
    assert run(credentials.current()) == Token("token-1")
    assert run(credentials.refresh()) == Token("token-2")
    assert counter.read_text() == "2"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((sys.executable, "-c", "import sys; sys.exit(3)"), "failed with status 3"),
        ((sys.executable, "-c", "print('has space inside')"), "characters a token cannot have"),
        (("/nonexistent/token-helper",), "cannot run the token command"),
    ],
)
def test_command_failures_are_clear_and_never_echo(argv, message):
    with pytest.raises(ConfigError, match=message) as info:
        run(CommandCredentials(argv).current())
    assert "has space inside" not in info.value.message


def test_refresh_endpoint_exchange_and_rejection():
    async def body():
        endpoint = await RefreshEndpoint("127.0.0.1", 0, secret="k", refresh_token="refresh-me", lifetime=30).start()
        try:
            good = RefreshingCredentials(None, Token("refresh-me"), endpoint.url, None)
            first = await good.current()  # no first token: the refresh endpoint gives one
            assert verify_token("k", first.reveal())["sub"] == "demo-user"
            assert good.expires_at is not None and good.refreshable
            second = await good.refresh()
            assert second != first or endpoint.issued == 2
            bad = RefreshingCredentials(None, Token("wrong"), endpoint.url, None)
            with pytest.raises(AuthError, match="HTTP 401"):
                await bad.refresh()
            missing = RefreshingCredentials(None, Token("x"), endpoint.url.replace("/auth/refresh", "/nope"), None)
            with pytest.raises(Unavailable, match="HTTP 404"):
                await missing.refresh()
        finally:
            await endpoint.stop()

    run(body())


def test_make_credentials_from_settings(tmp_path):
    assert isinstance(make_credentials(Settings()), StaticCredentials)
    path = tmp_path / "t"
    assert isinstance(make_credentials(Settings(token=Secret(origin="x", path=path))), FileCredentials)
    assert isinstance(make_credentials(Settings(token=Secret(origin="x", command=("true",)))), CommandCredentials)
    refreshing = make_credentials(
        Settings(url="wss://h:9/graphql/ws", token=Secret(origin="x", value=Token("a")), refresh_token=Secret(origin="y", value=Token("r")))
    )
    assert isinstance(refreshing, RefreshingCredentials) and refreshing._url == "https://h:9/auth/refresh"
