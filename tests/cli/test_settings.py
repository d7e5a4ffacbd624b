import os
from pathlib import Path

import pytest

from incident_cli.auth import Token
from incident_cli.cli.settings import load_settings
from incident_cli.driver.credentials import check_private, read_secret_file
from incident_cli.errors import ConfigError, UsageError
from incident_cli.settings import DEFAULT_URL, config_path, normalise_url, parse_size


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


def home(tmp_path, text=None, mode=0o600):
    env = {"HOME": str(tmp_path)}
    if text is not None:
        path = tmp_path / ".config" / "incidents" / "config.toml"
        path.parent.mkdir(parents=True)
        path.write_text(text)
        path.chmod(mode)
    return env


def test_defaults(tmp_path):
    settings = load_settings(environ=home(tmp_path))
    assert settings.url == DEFAULT_URL and settings.token is None and settings.protocol == "auto"
    assert settings.origins == {} and settings.profile is None


def test_xdg_and_override_paths(tmp_path):
    assert config_path({"HOME": "/h"}) == Path("/h/.config/incidents/config.toml")
    assert config_path({"HOME": "/h", "XDG_CONFIG_HOME": "/x"}) == Path("/x/incidents/config.toml")
    assert config_path({"HOME": "/h", "XDG_CONFIG_HOME": "relative"}) == Path("/h/.config/incidents/config.toml")
    assert config_path({"INCIDENTS_CONFIG": "/c.toml"}) == Path("/c.toml")


PROFILES = """
default_profile = "staging"

[profiles.staging]
url = "wss://staging.example/graphql/ws"
severity = "P0,P1,P2"
output = "text"
token_command = "print-token --env staging"

[profiles.prod]
url = "wss://prod.example/graphql/ws"
token_file = "~/prod.token"
refresh_token_file = "~/prod.refresh"
ca_file = "~/ca.pem"
max_retries = 10
"""


def test_profiles_and_precedence(tmp_path):
    env = home(tmp_path, PROFILES)
    staging = load_settings(environ=env)
    assert staging.profile == "staging" and staging.url == "wss://staging.example/graphql/ws"
    assert staging.token.command == ("print-token", "--env", "staging") and staging.output == "text"
    assert staging.origins["url"] == "profile staging" and staging.origins["token"] == "profile staging: token_command"

    prod = load_settings(environ={**env, "INCIDENTS_PROFILE": "prod"})
    assert prod.token.path == tmp_path / "prod.token" and prod.ca_file == tmp_path / "ca.pem"
    assert prod.max_retries == 10 and prod.refresh_token.path == tmp_path / "prod.refresh"
    assert prod.effective_refresh_url == "https://prod.example/auth/refresh"

    # environment beats the profile, flags beat both
    over = load_settings(environ={**env, "INCIDENTS_URL": "ws://env:1/x", "INCIDENTS_TOKEN": "envtok"}, flags={"profile": "prod"})
    assert over.url == "ws://env:1/x" and over.origins["url"] == "INCIDENTS_URL"
    assert over.token.value == Token("envtok") and over.origins["token"] == "INCIDENTS_TOKEN"
    flags = load_settings(
        environ={**env, "INCIDENTS_URL": "ws://env:1/x"},
        flags={"url": "ws://flag:2/y", "token_file": tmp_path / "t", "max_retries": 3},
    )
    assert flags.url == "ws://flag:2/y" and flags.origins["url"] == "--url"
    assert flags.token.path == tmp_path / "t" and flags.origins["token"] == "--token-file" and flags.max_retries == 3


def test_token_sources_in_order(tmp_path):
    env = {"HOME": str(tmp_path), "INCIDENTS_TOKEN": "a", "INCIDENTS_TOKEN_FILE": "/f"}
    assert load_settings(environ=env).origins["token"] == "INCIDENTS_TOKEN"
    assert load_settings(environ={"HOME": str(tmp_path), "INCIDENTS_TOKEN_FILE": "/f"}).token.path == Path("/f")
    assert load_settings(environ=env, flags={"token_stdin": Token("s")}).origins["token"] == "--token-stdin"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.x\nurl = 1", "invalid TOML"),
        ('[profiles.default]\nurll = "x"', "unknown key 'urll'"),
        ("[profiles.default]\nmax_retries = true", "profiles.default.max_retries must be a whole number"),
        ('[profiles.default]\nack_timeout = "soon"', "default.ack_timeout: 'soon' is not a duration"),  # as every duration
        ("[profiles.default]\nack_timeout = true", "profiles.default.ack_timeout must be a whole number, a number or text"),
        ('default_profile = "nope"\n[profiles.default]', "no profile 'nope'"),
        ('colour = "x"', "unknown key 'colour'"),
        ('[profiles.default]\noutput = "html"', "output must be one of"),
    ],
)
def test_bad_config_names_the_file_and_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(environ=home(tmp_path, text))
    assert "config.toml" in info.value.message


def test_asked_for_profile_without_a_file(tmp_path):
    with pytest.raises(ConfigError, match="profile 'prod' asked for"):
        load_settings(environ=home(tmp_path), flags={"profile": "prod"})


def test_config_holding_a_token_must_be_private(tmp_path):
    text = '[profiles.default]\ntoken = "inline-secret"\n'
    with pytest.raises(ConfigError, match="chmod 600") as info:
        load_settings(environ=home(tmp_path, text, mode=0o644))
    assert "inline-secret" not in info.value.message
    assert load_settings(environ=home(tmp_path / "ok", text)).token.value == Token("inline-secret")


def test_secret_files_must_be_private_and_are_never_echoed(tmp_path):
    path = tmp_path / "token"
    path.write_text("hunter2-token\n")
    path.chmod(0o640)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_secret_file(path)
    path.chmod(0o600)
    assert read_secret_file(path) == Token("hunter2-token")
    with pytest.raises(ConfigError, match="does not exist"):
        check_private(tmp_path / "missing", "token file")
    with pytest.raises(ConfigError, match="is a directory, not a file") as info:
        check_private(tmp_path, "token file")  # not "chmod 600": that would not help
    assert "chmod" not in info.value.message


def test_a_bad_url_in_a_profile_is_a_configuration_error_naming_the_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[profiles.p]\nurl = "wss://[::1"\n')
    with pytest.raises(ConfigError, match=r"config.toml: profile p has an unreadable host or port"):
        load_settings(environ={"INCIDENTS_CONFIG": str(config)}, flags={"profile": "p"})


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to chown")
def test_secret_file_owned_by_someone_else_is_refused(tmp_path):
    path = tmp_path / "token"
    path.write_text("x")
    path.chmod(0o600)
    os.chown(path, 65534, 65534)
    with pytest.raises(ConfigError, match="another user"):
        read_secret_file(path)


def test_bad_protocol_from_environment(tmp_path):
    with pytest.raises(UsageError, match="INCIDENTS_PROTOCOL"):
        load_settings(environ={"HOME": str(tmp_path), "INCIDENTS_PROTOCOL": "mqtt"})


@pytest.mark.parametrize(("text", "size"), [("4MiB", 4 * 1024**2), ("512KiB", 512 * 1024), ("1000000", 10**6), ("2 MB", 2 * 10**6)])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["big", "10", "4XB", ""])
def test_bad_sizes(text):
    with pytest.raises(UsageError):
        parse_size(text)


def test_the_tables_columns_from_a_profile_and_the_command_line(tmp_path):
    env = home(tmp_path, '[profiles.default]\ncolumns = "sev,title,owner"\nlabel_columns = ["env", "region"]\n')
    settings = load_settings(environ=env)
    assert settings.columns == "sev,title,owner" and settings.label_columns == ("env", "region")
    assert settings.origins["label_columns"] == "profile default"
    flags = load_settings(environ=env, flags={"label_columns": ("team",), "columns": "sev,title"})
    assert flags.label_columns == ("team",) and flags.origins["label_columns"] == "-L" and flags.columns == "sev,title"
    with pytest.raises(ConfigError, match="config.toml.*label key"):
        load_settings(environ=home(tmp_path / "bad", '[profiles.default]\nlabel_columns = ["a=b"]\n'))
