import io
import logging

from incident_cli.demo.auth import mint_token
from incident_cli.redact import REDACTED, RedactingFilter, debug_logging, display_url, redact

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


def test_debug_logging_covers_websockets_and_ours_for_the_run_only():
    stream = io.StringIO()
    with debug_logging(stream):
        logging.getLogger("websockets.client").debug("> Authorization: Bearer %s", JWT)
        logging.getLogger("incident_cli.driver.session").debug("connecting")
    logging.getLogger("incident_cli.driver.session").debug("after the run")
    text = stream.getvalue()
    assert "incidents: debug: incident_cli.driver.session: connecting" in text and JWT not in text
    assert "after the run" not in text  # removed again: an in-process run leaves no handler behind
    assert logging.getLogger("websockets").level == logging.NOTSET


def test_display_url_never_shows_credentials_or_query():
    assert display_url("wss://user:secret@host:8443/graphql/ws?token=abc#x") == "wss://host:8443/graphql/ws"
    assert display_url("ws://[::1]:8080/graphql/ws") == "ws://[::1]:8080/graphql/ws"


def test_any_run_of_eight_characters_of_a_known_secret_is_blanked_wherever_it_is():
    from incident_cli.redact import scrub

    secret = "RvLQRfDGXFlbckSoBSn2sVB5N6yKG3KYB9bh4y7mbmfeiTPjrEhV7SKMOqDb"
    shortened = "> TEXT '{\"type\":\"connection_init\",\"payload\":{\"Authoriza...bmfeiTPjrEhV7SKMOqDb\"}}' [124 bytes]"
    assert scrub(shortened, [secret]) == "> TEXT '{\"type\":\"connection_init\",\"payload\":{\"Authoriza...<redacted>\"}}' [124 bytes]"
    assert scrub("head RvLQRfDG and 7SKMOqD", [secret]) == "head <redacted> and 7SKMOqD"  # 7 characters are not a piece
    assert scrub("nothing secret here", []) == "nothing secret here"


def test_frames_with_credentials_are_blanked_whole_before_they_are_formatted():
    import logging

    from websockets.frames import Frame, Opcode

    from incident_cli.redact import RedactingFilter

    frame = Frame(Opcode.TEXT, b'{"type":"connection_init","payload":{"Authorization":"Bearer abcdefgh12345678"}}')
    record = logging.LogRecord("websockets.client", logging.DEBUG, __file__, 1, "> %s", (frame,), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "> TEXT frame with credentials [80 bytes, <redacted>]"
    plain = logging.LogRecord("websockets.client", logging.DEBUG, __file__, 1, "> %s", (Frame(Opcode.TEXT, b'{"type":"ping"}'),), None)
    RedactingFilter().filter(plain)
    assert "ping" in plain.getMessage()


def test_urls_lose_their_userinfo_and_query_in_logs():
    from incident_cli.redact import redact

    assert redact("connecting to wss://bob:pw@h:1/graphql/ws?token=abc now") == "connecting to wss://<redacted>@h:1/graphql/ws?<redacted> now"
    assert redact("> GET /graphql/ws?access_token=abc HTTP/1.1") == "> GET /graphql/ws?<redacted> HTTP/1.1"
    assert redact("> Authorization: Basic Ym9iOnB3") == "> Authorization: <redacted>"
