"""The act use case: find the incidents, check, ask, send each mutation once, and say
what happened to each (``incidents ack|assign|take|comment|escalate|resolve``).

Nothing is sent before every id is found, the server is known to have the mutation, and
the user agreed. A mutation whose answer was lost is never sent again: the incident is
read back and the outcome said (took effect: status 0; did not: 75, safe to run again;
cannot tell: 75, with what to check).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from incident_cli import actions
from incident_cli.actions import Action
from incident_cli.auth import claims
from incident_cli.check import one_off, one_off_connection
from incident_cli.driver.credentials import Credentials
from incident_cli.driver.mutations import http_answers, send_once
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.schema_source import Documents, documents_for
from incident_cli.errors import AuthError, IncidentsError, OperationRejected, Unanswered, UsageError
from incident_cli.render.console_actions import Outcome
from incident_cli.show import find_many, lookup
from incident_cli.values import frozen

log = logging.getLogger(__name__)


@frozen
class Ui:
    """How the use case talks to the person (cli/act.py gives it the terminal or a pipe)."""

    say: Callable[[str], None]  # a line on stderr
    done: Callable[[Action, dict[str, Any], dict[str, Any]], None]  # an incident acted on: before, after
    dry: Callable[[dict[str, Any]], None]  # --dry-run: what would be sent
    ask: Callable[[str], bool] | None  # a yes/no question on a terminal; None: nobody to ask


async def act(
    config: SessionConfig, credentials: Credentials, environ: Mapping[str, str], action: Action, wanted: list[str],
    ui: Ui, *, me: str | None, yes: bool = False, dry_run: bool = False,
) -> None:
    """Act on each wanted incident; raises the first failure once every incident had its turn."""
    async with one_off_connection(config, credentials) as (ask, connection):
        documents = await documents_for(ask, config.url, environ, fresh=True)  # the mutations it has now, not cached
        view = documents.view
        # As each stands now, with who has it and its timeline: what "nothing to do" and a read-back compare with.
        found = await find_many(ask, documents, wanted, action.kind, actions.ACTED_FIELDS)
        actions.mutation(action, str(found[0].get("id")), view)  # no such mutation: said before anything is asked
        http_url = None if dry_run else await http_answers(
            config.http_endpoint(), token=connection.token, ssl_context=config.ssl, proxy=config.proxy)
        todo = []
        for incident in found:
            why = actions.nothing_to_do(action, incident, view)
            if why is not None:
                ui.say(f"incidents: note: {actions.name_of(incident)}: {why}; nothing sent")
            else:
                todo.append(incident)
        if not todo:
            return
        _agree(action, todo, ui, me, yes or dry_run)
        failures: list[IncidentsError] = []
        for incident in todo:
            incident_id = str(incident.get("id"))
            operation = actions.mutation(action, incident_id, view)
            if dry_run:
                ui.dry({"mutation": operation.label, "document": operation.document, "variables": operation.variables})
                continue
            log.debug("sending %s over %s: %s variables %s", operation.label, "HTTP" if http_url else "the socket",
                      operation.document, json.dumps(operation.variables, sort_keys=True))
            try:
                data = await send_once(operation, http_url=http_url, token=connection.token,
                                       over_socket=connection.ask, ssl_context=config.ssl, proxy=config.proxy)
            except AuthError:
                raise  # the user may not act: so on every incident
            except OperationRejected as refused:
                failure: IncidentsError | None = OperationRejected(f"{actions.name_of(incident)}: {refused.message}",
                                                                   refused.codes)
            except Unanswered as lost:
                failure = await _read_back(config, credentials, documents, action, incident, lost, ui)
            else:
                after = data.get(operation.label) if isinstance(data, dict) else None
                ui.done(action, incident, after if isinstance(after, dict) else incident)
                continue
            if failure is not None:
                failures.append(failure)
                if len(todo) > 1:
                    ui.say(f"incidents: error: {failure.message}")  # each said as it happens; the status at the end
    if failures:
        raise _outcome(failures, len(todo))


def _outcome(failures: list[IncidentsError], tried: int) -> IncidentsError:
    """The error the run ends with: the one failure, or (bulk) how many failed, with the first's status."""
    first = failures[0]
    if tried == 1:
        return first
    said = f"{len(failures)} of {tried} incidents failed (each said above)"
    return OperationRejected(said, first.codes) if isinstance(first, OperationRejected) else type(first)(said)


def _agree(action: Action, todo: list[dict[str, Any]], ui: Ui, me: str | None, yes: bool) -> None:
    """Someone else's incident and a lower severity need --force (or a yes); resolve, escalate
    and bulk actions need a yes on a terminal, or --yes: a stray command must not change production."""
    refused = [(incident, why) for incident in todo if (why := actions.refusal(action, incident, me)) is not None]
    for incident, why in refused:
        if ui.ask is None:
            raise UsageError(f"{actions.name_of(incident)}: {why}")
        if not ui.ask(f"{actions.name_of(incident)}: {why}. Go ahead anyway?"):
            raise UsageError("nothing sent")
    question = actions.confirmation(action, len(todo))
    if question is None or yes:
        return
    if ui.ask is None:
        raise UsageError(f"{action.kind} of {len(todo)} incident(s) asks for confirmation, and stdin is not a terminal: "
                         "add --yes")
    for incident in todo:
        ui.say(f"  {actions.name_of(incident)}")
    if not ui.ask(question):
        raise UsageError("nothing sent")


async def _read_back(
    config: SessionConfig, credentials: Credentials, documents: Documents, action: Action, before: dict[str, Any],
    lost: Unanswered, ui: Ui,
) -> IncidentsError | None:
    """The answer was lost: read the incident back (on a fresh connection) and say which it is."""
    name = actions.name_of(before)
    incident_id = str(before.get("id"))
    after = None
    try:
        async with one_off(config, credentials) as ask:
            after = await lookup(ask, documents, incident_id, actions.ACTED_FIELDS)
    except IncidentsError as error:
        ui.say(f"incidents: warning: reading {name} back failed: {error.message}")
    verdict = actions.took_effect(action, before, after)
    if verdict is True and after is not None:
        ui.say(f"incidents: note: {name}: the answer was lost ({lost.message}), but the incident shows it took effect")
        ui.done(action, before, after)
        return None
    if verdict is False:
        return Unanswered(f"{name}: {action.kind} did not take effect ({lost.message}); it is safe to run it again")
    return Unanswered(f"{name}: whether {action.kind} took effect cannot be known ({lost.message}); "
                      f"check with `incidents show {incident_id[:8]}` before running it again")


@frozen
class Server:
    """One watched server, as the console's actions need it."""

    config: SessionConfig
    credentials: Credentials
    documents: Documents | None
    user: str | None = None  # the profile's user: who "me" is


class ConsoleActor:
    """The console's keys carried out (render/console_actions.py's Actor): one action on the
    chosen rows, each on its own server. The modal was the confirmation, so nothing asks;
    each mutation is sent once, read back when its answer is lost, and every outcome is a line."""

    def __init__(self, servers: Mapping[str | None, Server], environ: Mapping[str, str], *, read_only: bool) -> None:
        self._servers = servers
        self._environ = environ
        self._read_only = read_only

    def available(self) -> bool:
        """Not read-only, and every server's schema is known and has the mutations."""
        if self._read_only:
            return False
        known = [server.documents.mutations() if server.documents is not None else None for server in self._servers.values()]
        return bool(known) and all(names is not None and "updateIncident" in names for names in known)

    async def act(self, kind: str, values: dict[str, str], rows: list[Any]) -> Outcome:
        done: list[str] = []
        failed: list[str] = []
        ui = Ui(say=lambda line: (done if line.startswith("incidents: note:") else failed).append(
                    line.removeprefix("incidents: ")),
                done=lambda action, before, after: done.append(actions.done_line(action, before, after)),
                dry=lambda _sent: None, ask=None)
        for source in dict.fromkeys(row.source for row in rows):
            server = self._servers.get(source)
            ids = [row.id for row in rows if row.source == source]
            if server is None:
                failed.append(f"no server {source!r} to act on")
                continue
            try:
                action = await self._action(kind, values, server)
                await act(server.config, server.credentials, self._environ, action, ids, ui, me=server.user, yes=True)
            except IncidentsError as error:
                if not any(error.message in line for line in failed):  # a refusal is said once
                    failed.append(f"{kind}: {error.message}")
        return Outcome(done=tuple(done), failed=tuple(failed))

    async def describe(self, row: Any) -> dict[str, Any] | None:
        """The incident in full from its server (the console's detail view: timeline, owners, resolution)."""
        server = self._servers.get(row.source)
        if server is None:
            return None
        try:
            async with one_off(server.config, server.credentials) as ask:
                documents = await documents_for(ask, server.config.url, self._environ)
                return await lookup(ask, documents, row.id, actions.ACTED_FIELDS)
        except IncidentsError:
            return None

    async def _action(self, kind: str, values: dict[str, str], server: Server) -> Action:
        if kind == "take":
            me = server.user or actions.me_from(claims(await server.credentials.current()))
            if me is None:
                raise UsageError("'me' is nobody: the token names no user; set the profile's user")
            return Action(kind="assign", assignees=(me,), force=True)  # the modal named the owner
        if kind == "comment":
            return Action(kind="comment", comment=values["comment"])
        if kind == "escalate":
            return Action(kind="escalate", severity=values["severity"], reason=values["reason"], force=True)
        if kind == "resolve":
            return Action(kind="resolve", notes=values["notes"], root_cause=values.get("root_cause") or None)
        return Action(kind="ack")
