import pytest

from incident_cli.driver.options import SessionConfig, tls_context
from incident_cli.errors import ConfigError
from incident_cli.settings import Settings


def test_tls_context(tmp_path):
    assert tls_context(Settings()) is None
    with pytest.raises(ConfigError, match="does not exist"):
        tls_context(Settings(ca_file=tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ConfigError, match="not a usable PEM"):
        tls_context(Settings(ca_file=junk))


def test_the_session_config_carries_every_connection_setting():
    settings = Settings(url="wss://h/graphql/ws", protocol="graphql-ws", max_retries=3, proxy=False, ping_interval=5,
                        ping_timeout=2, max_message_size=2048, ack_timeout=3, open_timeout=4)
    config = SessionConfig.from_settings(settings)
    assert config.url == "wss://h/graphql/ws" and config.dialect.value == "graphql-ws" and config.max_retries == 3
    assert not config.proxy and config.ping_interval == 5 and config.ping_timeout == 2 and config.max_size == 2048
    assert config.ack_timeout == 3 and config.open_timeout == 4 and config.ssl is None
    other = SessionConfig.from_settings(settings, url="ws://127.0.0.1:1/graphql/ws", ping_interval=None)
    assert other.url == "ws://127.0.0.1:1/graphql/ws" and other.ping_interval is None and other.max_retries == 3


def test_defaults_are_the_settings_defaults():
    config, settings = SessionConfig(url="ws://h/x"), Settings()
    assert (config.ping_interval, config.ping_timeout, config.max_size, config.ack_timeout, config.open_timeout) == (
        settings.ping_interval, settings.ping_timeout, settings.max_message_size, settings.ack_timeout, settings.open_timeout)
