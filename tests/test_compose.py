import ssl

import pytest

from incident_cli.auth import Token
from incident_cli.compose import Tuning, describe, plaintext_warning, session_config, tls_context
from incident_cli.config import Secret, Settings
from incident_cli.errors import ConfigError

TOKEN = Secret(origin="INCIDENTS_TOKEN", value=Token("t"))


@pytest.mark.parametrize(
    ("url", "token", "allowed", "outcome"),
    [
        ("wss://remote.example/graphql/ws", TOKEN, False, None),
        ("ws://127.0.0.1:8080/graphql/ws", TOKEN, False, None),
        ("ws://localhost:8080/graphql/ws", TOKEN, False, None),
        ("ws://remote.example/graphql/ws", None, False, None),
        ("ws://remote.example/graphql/ws", TOKEN, True, "warning"),
        ("ws://remote.example/graphql/ws", TOKEN, False, "refused"),
    ],
)
def test_a_token_never_crosses_plain_ws_to_a_remote_host_unless_allowed(url, token, allowed, outcome):
    settings = Settings(url=url, token=token, allow_insecure_transport=allowed)
    if outcome == "refused":
        with pytest.raises(ConfigError, match="unencrypted ws:// to remote.example"):
            plaintext_warning(settings, url)
    elif outcome == "warning":
        assert "over unencrypted ws://" in plaintext_warning(settings, url)
    else:
        assert plaintext_warning(settings, url) is None


def test_tls_context(tmp_path):
    assert tls_context(Settings()) is None
    with pytest.raises(ConfigError, match="does not exist"):
        tls_context(Settings(ca_file=tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a usable PEM"):
        tls_context(Settings(ca_file=junk))


def test_session_config_carries_the_settings():
    settings = Settings(url="wss://h/graphql/ws", protocol="graphql-ws", max_retries=3, proxy=False)
    context = ssl.create_default_context()
    config = session_config(settings, settings.url, Tuning(ping_interval=5, ping_timeout=2, max_size=2048), context)
    assert config.dialect.value == "graphql-ws" and config.max_retries == 3 and not config.proxy
    assert config.ssl is context and config.ping_interval == 5 and config.max_size == 2048


def test_describe_never_shows_secrets():
    settings = Settings(token=Secret(origin="profile p: token", value=Token("hunter2")), origins={"token": "profile p: token"})
    rows = {name: (value, origin) for name, value, origin in describe(settings)}
    assert rows["token"] == ("<redacted>", "profile p: token")
    assert "hunter2" not in repr(rows)
    assert rows["url"][1] == "default"
