"""Credentials end to end: TLS, the plaintext rule, refresh, token commands, and no leaks."""

import json
import os
import re
import subprocess
import sys

import pytest

from incident_cli.demo.auth import mint_token
from tests.helpers import INCIDENTS, demo, incidents, run, seconds

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def env(**extra):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTS_", "SSL_CERT"))}
    return {**base, **extra}


def make_cert(directory, name, san):
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    return {
        "good": make_cert(directory, "loopback", "IP:127.0.0.1,DNS:localhost"),
        "wrong": make_cert(directory, "elsewhere", "DNS:other.example"),
    }


def test_tls_trusted_with_ca_file_or_ssl_cert_file_and_refused_otherwise(certs):
    cert, key = certs["good"]
    with demo("--tls-cert", str(cert), "--tls-key", str(key), "--rate", "50") as url:
        assert url.startswith("wss://")
        trusted = incidents("watch", "--url", url, "--ca-file", str(cert), "-n", "2", env=env())
        assert trusted.returncode == 0 and len(trusted.stdout.splitlines()) == 2, trusted.stderr
        # OpenSSL reads SSL_CERT_FILE from the process's own environment: a process of its own.
        via_env = incidents("watch", "--url", url, "-n", "1", env=env(SSL_CERT_FILE=str(cert)), process=True)
        assert via_env.returncode == 0, via_env.stderr
        untrusted = incidents("watch", "--url", url, "-n", "1", env=env(), timeout=15)
    assert untrusted.returncode == 78 and "certificate verification failed" in untrusted.stderr
    assert "reconnecting" not in untrusted.stderr  # fatal at once: exactly one attempt


def test_tls_hostname_mismatch_is_fatal(certs):
    cert, key = certs["wrong"]
    with demo("--tls-cert", str(cert), "--tls-key", str(key)) as url:
        result = incidents("watch", "--url", url, "--ca-file", str(cert), "-n", "1", env=env(), timeout=15)
    assert result.returncode == 78 and "certificate verification failed" in result.stderr
    assert "127.0.0.1" in result.stderr or "mismatch" in result.stderr


def test_plaintext_token_to_a_remote_host_is_refused_before_connecting():
    # .invalid never resolves, and the refusal comes before any lookup anyway.
    result = incidents("watch", "--url", "ws://incidents.invalid/graphql/ws", env=env(INCIDENTS_TOKEN="abc"), timeout=15)
    assert result.returncode == 78 and result.stderr.count("\n") == 1
    assert "unencrypted ws://" in result.stderr and "abc" not in result.stderr


def test_debug_output_through_connect_refresh_and_reconnect_holds_no_secret(tmp_path):
    refresh_file = tmp_path / "refresh"
    refresh_file.write_text("refresh-secret-value\n")
    refresh_file.chmod(0o600)
    demo_args = ("--jwt-secret", "k", "--refresh-token", "refresh-secret-value", "--token-lifetime", "1.5",
                 "--enforce-expiry", "--rate", "50",
                 "--fault", "close_after=8", "--fault", "close_code=1012", "--fault", "connections=1")
    proc = subprocess.Popen([*INCIDENTS, "demo", "--port", "0", *demo_args], stderr=subprocess.PIPE, text=True)
    try:
        from tests.helpers import read_line

        url = re.search(r"serving (\S+)", read_line(proc.stderr, 15)).group(1)
        refresh_url = re.search(r"refresh at (\S+)", read_line(proc.stderr, 15)).group(1)
        result = incidents(
            "watch", "--url", url, "--debug", "--refresh-token-file", str(refresh_file), "--refresh-url", refresh_url,
            "--status-events", "--subscribe", "updates", "--for", "4s", env=env(), timeout=30,
        )
    finally:
        proc.kill()
        proc.wait(10)
        proc.stderr.close()
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line)["event"] for line in result.stdout.splitlines() if '"kind":"status"' in line]
    assert events.count("credentials_refreshed") >= 1 and "reconnecting" in events  # refresh and reconnect both happened
    assert "incidents: debug: websockets" in result.stderr and "<redacted>" in result.stderr
    for output in (result.stdout, result.stderr):
        assert not JWT_SHAPE.search(output) and "refresh-secret-value" not in output


def test_token_command_from_a_profile_runs_for_every_connection(tmp_path):
    counter = tmp_path / "count"
    script = tmp_path / "print_token.py"  # not token.py: that would shadow the stdlib module
    script.write_text(
        "import pathlib\n"
        "from incident_cli.demo.auth import mint_token\n"
        f"p = pathlib.Path({str(counter)!r}); n = int(p.read_text()) if p.exists() else 0; p.write_text(str(n + 1))\n"
        "print(mint_token('k', lifetime=60))\n"
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.demo]\ntoken_command = ["{sys.executable}", "{script}"]\n')
    with demo("--jwt-secret", "k", "--rate", "100", "--fault", "close_after=5", "--fault", "close_code=1012",
                      "--fault", "connections=1") as url:
        result = incidents("watch", "--profile", "demo", "--url", url, "--subscribe", "updates", "-n", "12",
                           env=env(INCIDENTS_CONFIG=str(config)))
    assert result.returncode == 0, result.stderr
    assert int(counter.read_text()) >= 2  # once per connection


def test_token_and_config_commands(tmp_path):
    token = mint_token("k", lifetime=600)
    shown = incidents("token", env=env(INCIDENTS_TOKEN=token))
    assert shown.returncode == 0 and "subject   demo-user" in shown.stdout and "not verified" in shown.stdout
    assert token not in shown.stdout + shown.stderr
    as_json = json.loads(incidents("token", "--json", env=env(INCIDENTS_TOKEN=token)).stdout)
    assert as_json["claims"]["sub"] == "demo-user" and as_json["signature_verified"] is False
    from_stdin = incidents("token", "--token-stdin", input=token + "\n", env=env())
    assert "demo-user" in from_stdin.stdout
    assert incidents("token", env=env(HOME=str(tmp_path))).returncode == 78

    config = tmp_path / "config.toml"
    config.write_text('[profiles.default]\nurl = "wss://prod.example/graphql/ws"\ntoken = "inline-secret"\n')
    config.chmod(0o600)
    path = incidents("config", "path", env=env(INCIDENTS_CONFIG=str(config)))
    assert path.stdout.strip() == str(config)
    show = incidents("config", "show", env=env(INCIDENTS_CONFIG=str(config), INCIDENTS_PROTOCOL="graphql-ws"))
    assert show.returncode == 0 and "inline-secret" not in show.stdout
    lines = {line.split()[0]: line for line in show.stdout.splitlines() if line.strip()}
    assert "wss://prod.example/graphql/ws" in lines["url"] and "profile default" in lines["url"]
    assert "INCIDENTS_PROTOCOL" in lines["protocol"] and "<redacted>" in lines["token"]
    config.chmod(0o644)
    refused = incidents("config", "show", env=env(INCIDENTS_CONFIG=str(config)))
    assert refused.returncode == 78 and "chmod 600" in refused.stderr


def test_token_flag_warns_about_ps():
    with demo("--token", "s3cret") as url:
        result = incidents("watch", "--url", url, "--token", "s3cret", "-n", "1", env=env())
    assert result.returncode == 0 and "visible to other users" in result.stderr and "s3cret" not in result.stderr


# ---- no piece of a secret anywhere: connect, refresh, reconnect, --debug ---------------------


def pieces(secret, size=8):
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def leaked(secrets, *outputs):
    """Every run of 8 or more characters of a secret that shows up in an output."""
    return sorted({piece for secret in secrets for piece in pieces(secret) for out in outputs if piece in out})


async def watch_against(server, *args, environ):
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        *INCIDENTS, "watch", "--url", server.url, *args, env=environ,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), seconds(40))
    return proc.returncode, stdout.decode(), stderr.decode()


def test_an_opaque_token_leaves_no_piece_of_itself_in_debug_output_or_status_through_a_reconnect():
    from incident_cli.demo.faults import Faults
    from incident_cli.demo.server import DemoServer, ServerOptions

    token = "Zq7" + "".join(chr(ord("a") + (n * 7) % 26) + str(n % 10) for n in range(28)) + "x"  # 60 characters
    assert len(token) == 60

    async def body():
        faults = Faults(close_after=8, close_code=1012, connections=1)
        server = await DemoServer(ServerOptions(token=token, rate=50, faults=faults)).start()
        try:
            return await watch_against(server, "--debug", "--status-events", "--subscribe", "updates", "--for", "2s",
                                       environ=env(INCIDENTS_TOKEN=token))
        finally:
            await server.stop()

    code, stdout, stderr = run(body(), timeout=60)
    assert code == 0, stderr[-2000:]
    assert '"event":"reconnecting"' in stdout and "frame with credentials" in stderr  # the paths were taken
    assert leaked([token], stdout, stderr) == []


def test_jwts_and_the_refresh_token_leave_no_piece_of_themselves_through_refresh_and_reconnect(tmp_path):
    from incident_cli.demo.faults import Faults
    from incident_cli.demo.server import DemoServer, ServerOptions

    refresh = "refresh-" + "R9k2" * 12
    refresh_file = tmp_path / "refresh"
    refresh_file.write_text(refresh + "\n")
    refresh_file.chmod(0o600)
    first = mint_token("k", lifetime=1.5)

    async def body():
        # Two connections: on a loaded machine the first token may have expired before the first one,
        # which is then refused (a refresh), and the close must still come on the next.
        faults = Faults(close_after=8, close_code=1012, connections=2)
        options = ServerOptions(jwt_secret="k", refresh_token=refresh, token_lifetime=1.5, enforce_expiry=True, rate=50,
                                faults=faults)
        server = await DemoServer(options).start()
        try:
            result = await watch_against(
                server, "--debug", "--status-events", "--subscribe", "updates", "--for", "4s",
                "--refresh-token-file", str(refresh_file), "--refresh-url", server.refresh.url,
                environ=env(INCIDENTS_TOKEN=first),
            )
            return (*result, list(server.refresh.minted))
        finally:
            await server.stop()

    code, stdout, stderr, minted = run(body(), timeout=60)
    assert code == 0, stderr[-2000:]
    assert minted and '"event":"credentials_refreshed"' in stdout and '"event":"reconnecting"' in stdout
    assert leaked([first, refresh, *minted], stdout, stderr) == []
    assert not JWT_SHAPE.search(stdout + stderr)


def test_a_url_with_a_password_or_a_token_in_its_query_is_never_shown_whole():
    url = "ws://bob:hunter2pass@127.0.0.1:9/graphql/ws?access_token=sekrit-query-token"
    result = incidents("watch", "--url", url, "--for", "1s", "--status-events", env=env())
    debug = incidents("watch", "--url", url, "--for", "1s", "--debug", env=env())
    assert result.returncode == 69 and "ws://127.0.0.1:9/graphql/ws" in result.stderr
    for output in (result.stdout, result.stderr, debug.stdout, debug.stderr):
        assert "hunter2pass" not in output and "sekrit-query-token" not in output and "bob" not in output
