"""The watch planned without a socket: what a command line and settings become."""

import pytest

from incident_cli.auth import Token
from incident_cli.errors import ConfigError, UsageError
from incident_cli.settings import Secret, Settings
from incident_cli.watch_plan import ServerSpec, WatchArgs, plaintext_warning, plan_watch, server_specs

ONE = ServerSpec(name=None, url=None, profile=None)


def plan(args=None, settings=None, *, tty=False, term="xterm", servers=None, query=None):
    args = args or WatchArgs()
    return plan_watch(servers or [(ONE, settings or Settings())], args, query_text=query, stdout_tty=tty, term=term)


def test_the_defaults_follow_the_incidents_that_matter_into_json_lines_when_piped():
    watch = plan()
    assert [op.label for op in watch.request.operations] == ["newIncidents", "incidentUpdates", "incidentStateChanges"]
    assert watch.output.mode == "jsonl" and not watch.request.backfill and watch.request.connect_within is None
    assert watch.streams == ("new", "updates", "state-changes") and watch.custom is None


def test_on_a_terminal_the_table_with_a_backfill_and_text_where_it_cannot_draw():
    assert plan(tty=True).output.mode == "table" and plan(tty=True).request.backfill
    assert plan(tty=True, term="dumb").output.mode == "text"
    assert plan(WatchArgs(template="{severity} {title}")).output.mode == "text"


def test_a_profiles_output_applies_on_a_terminal_and_never_to_a_pipe():
    table = Settings(output="table", origins={"output": "profile prod"})
    assert plan(settings=table, tty=True).output.mode == "table"
    assert plan(settings=Settings(output="text"), tty=True).output.mode == "text"
    assert plan(settings=table, tty=False).output.mode == "jsonl"  # `watch --once | jq` stays JSON
    assert plan(WatchArgs(output="text"), settings=table, tty=False).output.mode == "text"  # -o is the user's word


def test_count_is_across_every_server_and_the_request_has_none_of_its_own():
    two = [(ServerSpec(name="a:1", url="ws://a:1", profile=None), Settings(url="ws://a:1/graphql/ws")),
           (ServerSpec(name="b:1", url="ws://b:1", profile=None), Settings(url="ws://b:1/graphql/ws"))]
    several = plan(WatchArgs(count=5), servers=two)
    assert several.request.count is None and several.count == 5 and [s.name for s in several.sources] == ["a:1", "b:1"]
    assert plan(WatchArgs(count=5)).request.count == 5


def test_severities_are_sent_to_the_server_where_it_can_filter_and_checked_here_where_not():
    watch = plan(settings=Settings(severity="p1,P0", origins={"severity": "--severity"}))
    assert watch.request.severities == ("P0", "P1")
    new, updates, changes = watch.request.operations
    assert new.variables == {"severities": ["P0", "P1"]} and new.client_severities is None
    assert changes.client_severities == frozenset({"P0", "P1"}) and changes.variables is None


def test_one_shot_runs_get_a_bounded_connect_and_tails_do_not():
    connect = Settings(open_timeout=3.0)
    assert plan(WatchArgs(once=True), settings=connect).request.connect_within == 3.0
    assert plan(WatchArgs(once=True)).request.operations == [] and plan(WatchArgs(once=True)).streams == ()
    query = plan(WatchArgs(query="-"), settings=connect, query="{ incidents { pageInfo { totalCount } } }")
    assert query.request.connect_within == 3.0 and query.custom is not None and query.output.streams == ("custom",)
    tail = plan(WatchArgs(query="-"), settings=connect, query="subscription { newIncidents { id } }")
    assert tail.request.connect_within is None


def test_bounds_and_extras_are_parsed_once_here():
    watch = plan(WatchArgs(for_="1m30s", idle_exit="10s", since="1h", fail_on="p0", exec_="true", exec_timeout="2s",
                           keep_resolved="1m", record=None, bell="P0,P1"))
    assert watch.request.duration == 90 and watch.request.idle_exit == 10 and watch.request.since == 3600
    assert watch.request.fail_on == {"P0"} and watch.extras.hook == "true" and watch.extras.hook_timeout == 2
    assert watch.output.keep_resolved == 60 and watch.extras.bell == {"P0", "P1"}


@pytest.mark.parametrize(("args", "said"), [
    (WatchArgs(once=True, query="-"), "--once lists incidents"),
    (WatchArgs(var=["a=1"]), "--var and --variables go with --query"),
    (WatchArgs(for_="soon"), "--for: 'soon' is not a duration"),
    (WatchArgs(fail_on=""), "--fail-on needs at least one severity"),
    (WatchArgs(template="{nope}"), "--template: unknown field {nope}"),
])
def test_a_bad_combination_or_value_is_one_usage_error(args, said):
    with pytest.raises(UsageError, match=said):
        plan(args, query="{ x }")


def test_several_servers_are_named_by_host_or_by_profile():
    assert [s.name for s in server_specs(WatchArgs(url=["wss://us.example/graphql/ws", "eu:8443"]))] == ["us.example", "eu:8443"]
    assert [s.profile for s in server_specs(WatchArgs(profile=["us", "eu"]))] == ["us", "eu"]
    assert server_specs(WatchArgs()) == [ONE]
    with pytest.raises(UsageError, match="not both"):
        server_specs(WatchArgs(url=["a", "b"], profile=["c", "d"]))
    with pytest.raises(UsageError, match="--demo watches one server"):
        server_specs(WatchArgs(url=["a", "b"], demo=True))


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
            plaintext_warning(settings)
        with pytest.raises(ConfigError):
            plan(settings=settings)  # before anything is connected
    elif outcome == "warning":
        assert "over unencrypted ws://" in plaintext_warning(settings)
        assert plan(settings=settings).warnings == (plaintext_warning(settings),)
    else:
        assert plaintext_warning(settings) is None


def test_the_table_follows_owners_and_takes_its_columns_from_settings():
    table = plan(settings=Settings(columns="sev, title,owner", label_columns=("env",)), tty=True)
    assert table.request.follow_owners and table.output.columns == ("sev", "title", "owner")
    assert table.output.label_columns == ("env",)
    assert not plan().request.follow_owners  # JSON lines show no owner column: no re-reads
    with pytest.raises(UsageError, match="unknown column 'owners'"):
        plan(settings=Settings(columns="owners"))


def test_filters_beyond_severity_reach_the_watch_and_the_status_line():
    watch = plan(settings=Settings(team="payments", labels=("tier=1",), assignee="none"))
    assert watch.request.facets.teams == {"payments"} and watch.request.facets.labels == (("tier", "1"),)
    assert watch.output.only is watch.request.facets  # the table draws only the rows within it, and says so
    assert watch.request.follow_owners  # an owner filter needs the owner kept current, whatever the output
    assert not plan().request.facets
    with pytest.raises(UsageError, match="do not go with --query"):
        plan(WatchArgs(query="subscription { x }"), settings=Settings(grep="disk"), query="subscription { x }")


def test_only_a_server_nobody_named_is_tried_once():
    assert plan().unconfigured  # the built-in default
    named = Settings(url="ws://h:1/graphql/ws", origins={"url": "INCIDENTS_URL"})
    assert not plan(settings=named).unconfigured
    assert not plan(WatchArgs(demo=True)).unconfigured
