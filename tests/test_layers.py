"""The layers of DESIGN.md, guarded: imports point down, the core does no I/O, no circles.

Every import is read from the source, lazy ones inside functions and TYPE_CHECKING ones
too: a layer is a dependency of meaning, not only of start-up. Circles are looked for
among the imports that run when a module is imported.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "incident_cli"

CORE = {
    "", "errors", "messages", "protocol", "model", "operations", "schema", "auth", "backoff", "liveness", "filtering",
    "repair", "stalls", "coverage", "operation_errors", "sanitize", "redact", "jsoncodec", "durations", "wording", "settings",
    "supervision", "memory", "incident_filter", "one_record", "handover", "values", "actions", "streams", "urls",
    "tracking", "records", "session_status", "envelope", "fast_lane",
}
USE_CASES = {"watch", "watch_plan", "watch_run", "sources", "check", "record", "recorded", "hooks", "env", "show", "report", "act",
             "watch_queries"}
ENTRY = {"entry", "__main__"}
PURE = (CORE - {""}) | {"render.board", "render.drops"}  # no clock, no I/O: none of these libraries
IO_LIBRARIES = {"asyncio", "websockets", "rich", "typer", "textual", "subprocess", "socket"}
LEVELS = {"core": 0, "driver": 1, "render": 1, "use case": 2, "cli": 3}


def modules(root):
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def layer(name):
    head = name.split(".")[0]
    if name in CORE:
        return "core"
    if head in ("driver", "render", "cli", "demo"):
        return head
    if name in USE_CASES:
        return "use case"
    if name in ENTRY:
        return "cli"
    raise AssertionError(f"incident_cli.{name} is in no layer: add it to tests/test_layers.py")


def imports(path, *, at_import_time=False, type_checking=False):
    """(module, line) of every import; ``at_import_time``: module level, TYPE_CHECKING left out
    (``type_checking``: kept, for the circles of meaning a type-only import still draws)."""
    tree = ast.parse(path.read_text())
    if at_import_time:
        nodes = []
        for statement in tree.body:
            if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test) and not type_checking:
                continue
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue  # what a function imports runs when it is called
            nodes.extend(ast.walk(statement))
    else:
        nodes = list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "incident_cli":
                yield from ((f"incident_cli.{alias.name}", node.lineno) for alias in node.names)
            else:
                yield node.module, node.lineno


def internal(target, root):
    """The package module an import names (``from incident_cli.x import Name`` names x), or None."""
    if target != "incident_cli" and not target.startswith("incident_cli."):
        return None
    name = target.removeprefix("incident_cli").lstrip(".")
    relative = root / name.replace(".", "/")
    if not name or relative.with_suffix(".py").exists() or relative.is_dir():
        return name
    return name.rsplit(".", 1)[0] if "." in name else ""


def upward(root):
    """Imports that point up a layer, or sideways between driver and render, or in or out of the demo."""
    wrong = []
    for name, path in modules(root):
        mine = layer(name)
        for target, line in imports(path):
            other = internal(target, root)
            if other is None or other == name:
                continue
            theirs = layer(other)
            if "demo" in (mine, theirs):
                if mine != theirs and not (theirs == "demo" and mine in ("cli", "use case")):
                    wrong.append(f"{name}:{line} imports {other} ({mine} -> {theirs})")
            elif LEVELS[theirs] > LEVELS[mine] or (theirs != mine and LEVELS[theirs] == LEVELS[mine]):
                wrong.append(f"{name}:{line} imports {other} ({mine} -> {theirs})")
    return wrong


def impure(root):
    """Imports of an I/O library by the core or the board."""
    return [f"{name}:{line} imports {target}" for name, path in modules(root) if name in PURE
            for target, line in imports(path) if target.split(".")[0] in IO_LIBRARIES]


def circles(root, *, type_checking=False):
    graph = {name: {o for t, _ in imports(path, at_import_time=True, type_checking=type_checking)
                    if (o := internal(t, root)) not in (None, name)}
             for name, path in modules(root)}
    found, done, stack = [], set(), []

    def visit(node):
        if node in stack:
            found.append(" -> ".join([*stack[stack.index(node):], node]))
        elif node not in done:
            stack.append(node)
            for other in sorted(graph.get(node, ())):
                visit(other)
            stack.pop()
            done.add(node)

    for name in sorted(graph):
        visit(name)
    return found


def test_every_import_points_down_and_siblings_do_not_lean_on_each_other():
    assert upward(PACKAGE) == []


def test_the_core_and_the_board_import_no_io_library():
    assert impure(PACKAGE) == []


def test_no_import_circle_at_import_time():
    assert circles(PACKAGE) == []


def test_no_import_circle_even_through_type_only_imports():
    assert circles(PACKAGE, type_checking=True) == []


def test_the_rules_catch_a_planted_violation(tmp_path):
    root = tmp_path / "incident_cli"
    (root / "driver").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "driver" / "__init__.py").write_text("")
    (root / "driver" / "session.py").write_text("from incident_cli.wording import plural\n")
    (root / "wording.py").write_text("import asyncio\nfrom incident_cli.driver.session import Session\n")
    assert upward(root) == ["wording:2 imports driver.session (core -> driver)"]
    assert impure(root) == ["wording:1 imports asyncio"]
    assert circles(root) == ["driver.session -> wording -> driver.session"]
    (root / "driver" / "inbox.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                              "    from incident_cli.driver.queue import Q\n")
    (root / "driver" / "queue.py").write_text("from incident_cli.driver.inbox import Inbox\n")
    assert "driver.inbox -> driver.queue -> driver.inbox" not in circles(root)  # only at run time...
    assert "driver.inbox -> driver.queue -> driver.inbox" in circles(root, type_checking=True)  # ...and in meaning


LONGEST = 60  # lines a function's body may have, docstring included


def test_no_function_is_longer_than_a_screen():
    # The signature is not counted: a Typer command's is a list of option declarations, not logic.
    long = []
    for name, path in modules(PACKAGE):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.body[0].lineno + 1
                if length > LONGEST:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


def test_every_dataclass_says_what_it_is():
    # A docstring also spares the import an inspect.signature per class (dataclasses writes one
    # from the signature when there is none, @frozen classes too): about 0.2 ms each (issue 16).
    missing = [
        f"{path.relative_to(PACKAGE)}:{node.name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(d).startswith(("dataclass", "frozen")) for d in node.decorator_list)
        and ast.get_docstring(node) is None
    ]
    assert missing == [], missing


TRICKS = {"model", "records", "values"}  # values.made: objects made without their __init__ (issue 25)


def hot_path_tricks(root):
    """Where ``values.made`` is used, and where a module keeps state in a global (a cache across calls)."""
    found = []
    for name, path in modules(root):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "incident_cli.values" and name not in TRICKS:
                found += [f"{name} imports made" for alias in node.names if alias.name == "made"]
            elif isinstance(node, ast.Global):
                found.append(f"{name} assigns a global: {', '.join(node.names)}")
    return found


def test_hot_path_tricks_live_in_the_models_makers_and_the_fast_lane_only():
    # The lane (fast_lane.py) is plain code held equal to the general route by a property test;
    # objects made without __init__ stay in model's makers; no module-global caches (the envelope's
    # stamps are kept per instance, compared by value).
    assert hot_path_tricks(PACKAGE) == []


def test_the_trick_rule_catches_a_planted_one(tmp_path):
    root = tmp_path / "incident_cli"
    (root / "driver").mkdir(parents=True)
    (root / "driver" / "fast.py").write_text("from incident_cli.values import frozen, made\n")
    (root / "cache.py").write_text("_last = None\n\ndef stamp(x):\n    global _last\n    _last = x\n")
    assert sorted(hot_path_tricks(root)) == ["cache assigns a global: _last", "driver.fast imports made"]


def test_table_rows_keep_view_state_and_read_incident_facts_from_the_one_memory():
    import dataclasses

    from incident_cli.memory import Shown
    from incident_cli.render.board import Row

    facts = {field.name for field in dataclasses.fields(Shown)}
    kept = {field.name for field in dataclasses.fields(Row)}
    assert kept == {"id", "source", "known", "first_seen", "last_activity", "last_change", "done_since", "history"}
    assert not kept & facts  # the row's severity, title, state, owner... are the memory's record's
