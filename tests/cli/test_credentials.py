from incident_cli.auth import Token
from incident_cli.cli.credentials import settings_rows
from incident_cli.settings import Secret, Settings


def test_config_rows_never_show_secrets_or_a_urls_credentials():
    settings = Settings(url="wss://bob:pw@h/graphql/ws?token=x", token=Secret(origin="profile p: token", value=Token("hunter2")),
                        origins={"token": "profile p: token", "ping_interval": "profile p"}, ping_interval=5.0)
    rows = {name: (value, origin) for name, value, origin in settings_rows(settings)}
    assert rows["token"] == ("<redacted>", "profile p: token")
    assert "hunter2" not in repr(rows) and "pw" not in repr(rows) and rows["url"] == ("wss://h/graphql/ws", "default")
    assert rows["ping_interval"] == (5.0, "profile p") and rows["max_message_size"][1] == "default"
    assert {"connect_timeout", "ping_timeout", "severity", "output"} <= set(rows)
