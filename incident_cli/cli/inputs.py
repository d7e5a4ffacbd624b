"""What commands read besides their options: a token from stdin, a query document, --token."""

from __future__ import annotations

from pathlib import Path

from incident_cli.auth import Token, parse_token
from incident_cli.env import Env
from incident_cli.errors import UsageError


def read_token_stdin(env: Env) -> Token:
    """--token-stdin: pasted at a prompt on a terminal, or piped in."""
    if env.isatty(env.stdin):
        env.stderr.write("incidents: paste the token, then press Enter: ")
        env.stderr.flush()
        return parse_token(env.stdin.readline(), source="stdin")
    return parse_token(env.stdin.read(), source="stdin")


def token_flag(value: str | None, env: Env) -> Token | None:
    """--token VALUE works, with a warning: other users can read it with ps."""
    if value is None:
        return None
    env.say("incidents: warning: --token is visible to other users (ps); prefer INCIDENTS_TOKEN or --token-file")
    return parse_token(value, source="--token")


def read_query(source: str, env: Env) -> str:
    """--query FILE, or - for stdin."""
    if source == "-":
        return env.stdin.read()
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--query: {source} does not exist") from None
    except (OSError, UnicodeDecodeError):
        raise UsageError(f"--query: cannot read {source}") from None
