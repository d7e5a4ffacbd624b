import pytest

from incident_cli.auth import Token, authorization, init_payload, parse_token, upgrade_headers
from incident_cli.errors import ConfigError


def test_token_never_shows_itself():
    token = Token("eyJ.secret.value")
    assert "secret" not in repr(token) and "secret" not in str(token) and "secret" not in f"{[token]}"
    assert token.reveal() == "eyJ.secret.value"


def test_parse_token_strips_whitespace_and_bearer_prefix():
    assert parse_token("  abc.def \n", source="x").reveal() == "abc.def"
    assert parse_token("Bearer abc", source="x").reveal() == "abc"


@pytest.mark.parametrize("raw", ["", "  \n", "abc def", "abc\x00", "tok\r\nX-Evil: 1", "caf\u00e9"])
def test_bad_tokens_are_refused_without_echo(raw):
    with pytest.raises(ConfigError) as info:
        parse_token(raw, source="INCIDENTS_TOKEN")
    assert "INCIDENTS_TOKEN" in info.value.message
    if raw.strip():
        assert raw.strip() not in info.value.message


def test_wire_placement():
    token = Token("t0k")
    assert authorization(token) == "Bearer t0k"
    assert init_payload(token) == {"Authorization": "Bearer t0k"}
    assert upgrade_headers(token) == {"Authorization": "Bearer t0k"}
    assert init_payload(None) is None and upgrade_headers(None) == {}
