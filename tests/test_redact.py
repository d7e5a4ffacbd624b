import io
import logging

from incident_cli.demo.auth import mint_token
from incident_cli.redact import REDACTED, RedactingFilter, display_url, install_debug_logging, redact

JWT = mint_token("s", lifetime=60)


def test_every_shape_of_secret_is_blanked():
    samples = [
        f"> Authorization: Bearer {JWT}",
        '> TEXT \'{"type":"connection_init","payload":{"Authorization":"Bearer opaque-123"}}\' [70 bytes]',
        "Authorization=opaque-123",
        '{"refreshToken": "refresh-456"}',
        f"token {JWT} in the middle",
        "bearer opaque-123",
    ]
    for sample in samples:
        cleaned = redact(sample)
        assert "opaque-123" not in cleaned and "refresh-456" not in cleaned and JWT not in cleaned, cleaned
        assert REDACTED in cleaned
    assert redact("nothing secret here: P0 incident") == "nothing secret here: P0 incident"


def test_the_filter_redacts_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    logger = logging.getLogger("incident_cli.test-redact")
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("header %s", f"Authorization: Bearer {JWT}")
        try:
            raise ValueError(f"bad header Bearer {JWT}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert JWT not in stream.getvalue() and stream.getvalue().count(REDACTED) >= 2


def test_install_debug_logging_covers_websockets_and_ours():
    stream = io.StringIO()
    install_debug_logging(stream)
    try:
        logging.getLogger("websockets.client").debug("> Authorization: Bearer %s", JWT)
        logging.getLogger("incident_cli.session").debug("connecting")
    finally:
        for name in ("websockets", "incident_cli"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.setLevel(logging.NOTSET)
    text = stream.getvalue()
    assert "incidents: debug: incident_cli.session: connecting" in text and JWT not in text


def test_display_url_never_shows_credentials_or_query():
    assert display_url("wss://user:secret@host:8443/graphql/ws?token=abc#x") == "wss://host:8443/graphql/ws"
    assert display_url("ws://[::1]:8080/graphql/ws") == "ws://[::1]:8080/graphql/ws"
