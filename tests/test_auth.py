import time

import pytest

from incident_cli.auth import (
    Token,
    authorization,
    claims,
    describe,
    expiry_notice,
    expiry_of,
    init_payload,
    numeric_claim,
    parse_token,
    upgrade_headers,
)
from incident_cli.demo.auth import mint_token
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



NOW = 1_800_000_000.0


def test_claims_are_read_without_verifying_and_opaque_tokens_are_none():
    token = Token(mint_token("secret", lifetime=60, now=NOW))
    values = claims(token)
    assert values["sub"] == "demo-user" and values["exp"] == NOW + 60
    forged = Token(token.reveal()[:-4] + "AAAA")  # a bad signature still reads: the server decides
    assert claims(forged)["sub"] == "demo-user"
    assert claims(Token("opaque-token")) is None and claims(None) is None
    assert expiry_of(token) == NOW + 60 and expiry_of(Token("opaque")) is None


def test_numeric_claims_refuse_booleans_and_strings():
    assert numeric_claim({"exp": True}, "exp") is None
    assert numeric_claim({"exp": "1700000000"}, "exp") is None
    assert numeric_claim({"exp": 5}, "exp") == 5.0 and numeric_claim(None, "exp") is None


def test_describe_at_a_glance():
    rows = dict(describe(claims(Token(mint_token("s", lifetime=300, now=NOW))), NOW + 60))
    assert rows["kind"] == "a JWT" and rows["subject"] == "demo-user" and rows["issuer"] == "incidents-demo"
    assert rows["audience"] == "incidents" and rows["scopes"] == "incidents:read"
    assert rows["issued"].endswith("(60s ago)") and rows["expires"].endswith("(in 4m)")
    expired = dict(describe(claims(Token(mint_token("s", lifetime=10, now=NOW))), NOW + 100))
    assert expired["expires"].endswith("EXPIRED")
    assert dict(describe(claims(Token(mint_token("s", lifetime=None, now=NOW))), NOW))["expires"].startswith("never")
    assert "opaque" in dict(describe(None, NOW))["kind"]


def test_expiry_notices():
    soon = claims(Token(mint_token("s", lifetime=120, now=NOW)))
    assert expiry_notice(soon, NOW, run_for=None, refreshable=False) is None
    assert "before this run ends" in expiry_notice(soon, NOW, run_for=600, refreshable=False)
    assert expiry_notice(soon, NOW, run_for=600, refreshable=True) is None  # it will be refreshed
    assert "expired" in expiry_notice(soon, NOW + 500, run_for=None, refreshable=False)
    assert expiry_notice(None, NOW, run_for=None, refreshable=False).startswith("note: the token is not a JWT")
    assert time.time() > 0
