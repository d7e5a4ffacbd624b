"""websockets' connection read a batch at a time: whole messages, in order, bounded, then the close."""

import asyncio

import pytest
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from incident_cli.driver import batched
from incident_cli.driver.batched import BatchedConnection, Binary
from incident_cli.driver.options import SessionConfig
from incident_cli.driver.transport import open_connection
from tests.helpers import run


async def read_all(ws: BatchedConnection) -> tuple[list[list[bytes]], ConnectionClosed]:
    batches = []
    while True:
        try:
            batches.append(await asyncio.wait_for(ws.receive(), 5))
        except ConnectionClosed as closed:
            return batches, closed


async def until(condition, timeout: float = 5.0) -> None:
    """Wait, bounded, for ``condition`` to hold (the loop runs meanwhile: nothing here reads)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def served(handler):
    async def body(check):
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:  # bytes on the wire are the messages
            port = server.sockets[0].getsockname()[1]
            ws = await open_connection(SessionConfig(url=f"ws://127.0.0.1:{port}/", ack_timeout=2.0))
            assert isinstance(ws, BatchedConnection)
            return await check(ws)
    return body


def test_messages_come_whole_and_in_order_as_bytes_with_binary_marked_then_the_close():
    async def handler(ws):
        await ws.send('{"n":1}')
        await ws.send(['{"n":', '2, "text": "é', 'x"}'])  # one message in three frames
        await ws.send(b"\x00\x01")
        await ws.send('{"n":3}')
        await ws.close(1001, "going away")

    batches, closed = run(served(handler)(read_all))
    messages = [message for batch in batches for message in batch]
    assert messages == [b'{"n":1}', '{"n":2, "text": "éx"}'.encode(), b"\x00\x01", b'{"n":3}']
    assert [type(m) for m in messages] == [bytes, bytes, Binary, bytes]
    assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == (1001, "going away")


def test_a_flood_comes_in_batches_and_reading_pauses_until_they_are_taken(monkeypatch):
    monkeypatch.setattr(batched, "PAUSE_AT", 50)
    count = 2000

    pad = "x" * 1000  # 2 MB in all, uncompressed: far more than one read of the socket (256 KiB at most)

    async def handler(ws):
        for index in range(count):
            await ws.send(f'{{"n":{index},"pad":"{pad}"}}')
        await ws.close()

    async def check(ws):
        await until(lambda: ws._paused)  # the server writes ahead: reading must stop near PAUSE_AT
        await asyncio.sleep(0.1)  # and stay stopped, however much more is on the way
        waiting, paused = len(ws._messages), ws._paused
        batches, _ = await read_all(ws)
        return waiting, paused, batches

    waiting, paused, batches = run(served(handler)(check))
    messages = [message for batch in batches for message in batch]
    assert messages == [f'{{"n":{index},"pad":"{pad}"}}'.encode() for index in range(count)]  # nothing lost or reordered
    assert paused and 50 <= waiting < 50 + 300  # stopped within one read of the mark, not read to the end
    assert max(len(batch) for batch in batches) > 1  # more than one message a wake-up


def test_pings_are_still_answered_while_nobody_reads():
    async def handler(ws):
        latency = await asyncio.wait_for(await ws.ping(), 2)  # answered by websockets, not by our reader
        await ws.send(f'{{"pong_after": {latency:.3f}}}')
        await ws.close()

    async def check(ws):
        await until(lambda: ws._messages)  # nobody called receive(): the pong was websockets' own
        return await read_all(ws)

    batches, closed = run(served(handler)(check))
    assert batches[0][0].startswith(b'{"pong_after": ')
    assert closed.rcvd is not None and closed.rcvd.code == 1000


@pytest.mark.parametrize("text", [b'{"type":"next","id":"1","payload":{"data":{"x":"\xff"}}}'])
def test_invalid_utf8_is_an_invalid_message_for_the_core(text):
    from incident_cli import messages as m

    with pytest.raises(m.InvalidMessage, match="not valid UTF-8"):
        m.decode(text, m.Dialect.TRANSPORT_WS)
