"""Editing the config file: values checked before they land, comments kept, the file private."""

import stat

import pytest

from incident_cli.cli.config_file import default_name, init_profile, names, set_value, unset_value, use, value_of
from incident_cli.errors import UsageError


def test_values_become_what_the_file_holds_and_secrets_are_refused():
    assert value_of("labels", "region=eu, tier=1") == ["region=eu", "tier=1"]
    assert value_of("proxy", "False") is False and value_of("max_retries", "3") == 3
    assert value_of("ping_interval", "5s") == "5s"
    for key, raw, said in (("token", "abc", "never taken on the command line"), ("urll", "x", "unknown setting 'urll'"),
                           ("proxy", "maybe", "true or false"), ("max_retries", "many", "whole number")):
        with pytest.raises(UsageError, match=said):
            value_of(key, raw)


def test_set_keeps_a_persons_comments_and_a_bad_value_never_lands(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# my servers\n[profiles.prod]\nurl = "wss://h/graphql/ws"  # the on-call one\n')
    set_value(path, "prod", "team", "payments", {})
    text = path.read_text()
    assert "# my servers" in text and "# the on-call one" in text and 'team = "payments"' in text
    with pytest.raises(UsageError, match="'soon' is not a duration"):
        set_value(path, "prod", "ping_timeout", "soon", {})
    assert path.read_text() == text  # untouched
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert unset_value(path, "prod", "team") and not unset_value(path, "prod", "team")


def test_init_use_and_the_list_of_profiles(tmp_path):
    path = tmp_path / "sub" / "config.toml"
    init_profile(path, "prod", url="wss://h/graphql/ws", token_file="~/.t", force=False, environ={})
    assert default_name(path) == "prod"  # the first profile is the default
    init_profile(path, "dev", url="ws://localhost:8080/graphql/ws", token_file=None, force=False, environ={})
    with pytest.raises(UsageError, match="exists"):
        init_profile(path, "dev", url="ws://x:1/graphql/ws", token_file=None, force=False, environ={})
    with pytest.raises(UsageError, match="profile bad cannot contain spaces"):  # checked as watch reads it
        init_profile(path, "bad", url="not a url at all", token_file=None, force=False, environ={})
    use(path, "dev")
    assert names(path) == ["dev", "prod"] and default_name(path) == "dev"
    with pytest.raises(UsageError, match="no profile 'nope'"):
        use(path, "nope")
