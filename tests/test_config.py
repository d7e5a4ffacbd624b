import pytest

from incident_cli.config import DEFAULT_URL, load_settings, normalise_url
from incident_cli.errors import ConfigError, UsageError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ws://h:1/graphql/ws", "ws://h:1/graphql/ws"),
        ("http://h:8080", "ws://h:8080/graphql/ws"),
        ("https://h/", "wss://h/graphql/ws"),
        ("h:9000", "ws://h:9000/graphql/ws"),
        ("WSS://H/custom", "wss://H/custom"),
    ],
)
def test_normalise_url(raw, expected):
    assert normalise_url(raw) == expected


@pytest.mark.parametrize("raw", ["ftp://h/x", "ws://", "ws://h:notaport/x"])
def test_bad_urls(raw):
    with pytest.raises(UsageError):
        normalise_url(raw)


def test_defaults():
    settings = load_settings(environ={})
    assert settings.url == DEFAULT_URL and settings.token is None and settings.protocol == "auto"


def test_environment_then_flags(tmp_path):
    env = {"INCIDENTS_URL": "ws://env:1/graphql/ws", "INCIDENTS_TOKEN": "envtok", "INCIDENTS_PROTOCOL": "graphql-ws"}
    settings = load_settings(environ=env)
    assert settings.url == "ws://env:1/graphql/ws" and settings.token.reveal() == "envtok"
    assert settings.protocol == "graphql-ws"
    token_file = tmp_path / "tok"
    token_file.write_text("filetok\n")
    settings = load_settings(environ=env, url="ws://flag:2/x", token_file=token_file, protocol="auto")
    assert settings.url == "ws://flag:2/x" and settings.token.reveal() == "filetok" and settings.protocol == "auto"


def test_token_file_from_environment(tmp_path):
    token_file = tmp_path / "tok"
    token_file.write_text("filetok")
    assert load_settings(environ={"INCIDENTS_TOKEN_FILE": str(token_file)}).token.reveal() == "filetok"


def test_missing_token_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={}, token_file=tmp_path / "nope")


def test_bad_protocol_from_environment():
    with pytest.raises(UsageError):
        load_settings(environ={"INCIDENTS_PROTOCOL": "mqtt"})


@pytest.mark.parametrize(("text", "size"), [("4MiB", 4 * 1024**2), ("512KiB", 512 * 1024), ("1000000", 10**6), ("2 MB", 2 * 10**6)])
def test_parse_size(text, size):
    from incident_cli.config import parse_size

    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["big", "10", "4XB", ""])
def test_bad_sizes(text):
    from incident_cli.config import parse_size

    with pytest.raises(UsageError):
        parse_size(text)
