import io
import os
import threading

import pytest

from incident_cli.errors import OutputOverflow
from incident_cli.render.writer import LineWriter, TextStream


def read_all(fd):
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_lines_arrive_in_order():
    read_fd, write_fd = os.pipe()
    writer = LineWriter(write_fd)
    for n in range(1000):
        writer.put(f"{n}\n".encode())
    assert writer.close(5) == 0
    os.close(write_fd)
    assert read_all(read_fd).decode().split() == [str(n) for n in range(1000)]
    os.close(read_fd)


def test_a_stalled_reader_costs_the_oldest_lines_never_the_caller():
    read_fd, write_fd = os.pipe()  # nobody reads until the end: the thread blocks in write
    writer = LineWriter(write_fd, max_lines=100)
    line = b"x" * 1000 + b"\n"
    for _ in range(5000):  # far more than the pipe buffer plus the queue
        writer.put(line)  # never blocks
    assert writer.dropped > 0 and writer.take_dropped() == writer.dropped and writer.take_dropped() == 0
    assert writer.pending() <= 200  # the queue's 100, and at most as many in the thread's blocked write
    reader = threading.Thread(target=read_all, args=(read_fd,), daemon=True)
    reader.start()
    assert writer.close(5) == 0
    os.close(write_fd)
    reader.join(5)
    os.close(read_fd)


def test_exit_policy_raises_overflow():
    read_fd, write_fd = os.pipe()
    writer = LineWriter(write_fd, max_lines=10, policy="exit")
    with pytest.raises(OutputOverflow):
        for _ in range(100_000):
            writer.put(b"y" * 1000 + b"\n")
    os.close(read_fd)
    writer.close(1)
    os.close(write_fd)


def test_byte_bound():
    read_fd, write_fd = os.pipe()
    writer = LineWriter(write_fd, max_lines=10**6, max_bytes=10_000)
    for _ in range(1000):
        writer.put(b"z" * 999 + b"\n")
    assert writer.dropped > 0
    os.close(read_fd)
    writer.close(1)
    os.close(write_fd)


def test_broken_pipe_is_noticed_and_reported():
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    noticed = threading.Event()
    writer = LineWriter(write_fd, on_broken=noticed.set)
    writer.put(b"gone\n")
    assert noticed.wait(5) and writer.broken
    with pytest.raises(BrokenPipeError):
        writer.put(b"more\n")
    writer.close(1)
    os.close(write_fd)


def test_text_stream_queues_whole_lines_and_answers_for_the_real_stream():
    read_fd, write_fd = os.pipe()
    writer = LineWriter(write_fd)
    real = io.StringIO()
    stream = TextStream(writer, real)
    stream.write("one")
    stream.write(" line\ntwo\nthr")
    stream.write("ee\n")
    assert stream.isatty() is False
    writer.close(5)
    os.close(write_fd)
    assert read_all(read_fd) == b"one line\ntwo\nthree\n"
    os.close(read_fd)


def test_in_an_event_loop_a_turn_of_lines_is_handed_over_at_its_end_and_written_before_the_next_turn():
    import asyncio

    read_fd, write_fd = os.pipe()
    writer = LineWriter(write_fd)
    handed = []
    real_enqueue = writer._enqueue
    writer._enqueue = lambda chunk, lines: (handed.append(lines), real_enqueue(chunk, lines))

    async def body():
        loop = asyncio.get_running_loop()
        for n in range(200):  # one turn of the loop: a batch of events
            writer.put(f"{n}\n".encode())
        assert handed == [] and writer.pending() == 200  # held for the turn, not handed line by line
        await asyncio.sleep(0)  # the next turn: the hand-over ran before anything else
        assert handed == [200]
        got = b""
        deadline = loop.time() + 5
        while got.count(b"\n") < 200 and loop.time() < deadline:
            got += await loop.run_in_executor(None, os.read, read_fd, 65536)
        return got

    got = asyncio.run(body())
    assert got.decode().split() == [str(n) for n in range(200)]
    assert writer.close(5) == 0
    os.close(write_fd)
    os.close(read_fd)


def test_a_big_turn_is_handed_over_in_parts_so_what_waits_stays_bounded():
    import asyncio

    from incident_cli.render.writer import HAND_OVER_AT

    read_fd, write_fd = os.pipe()
    writer = LineWriter(write_fd, max_lines=300)
    reader = threading.Thread(target=read_all, args=(read_fd,), daemon=True)

    async def body():
        for n in range(HAND_OVER_AT * 4):  # 1 MB: the thread blocks in its first write (a pipe holds 64 KiB)
            writer.put(f"{n:<999}\n".encode())
            assert len(writer._pending) < HAND_OVER_AT  # handed over in parts within the turn
        # What waits holds whole chunks within the bound (300), and the thread's blocked write at most as many.
        assert writer.pending() <= 2 * 300 and writer.dropped > 0

    asyncio.run(body())
    reader.start()
    assert writer.close(5) == 0
    os.close(write_fd)
    reader.join(5)
    os.close(read_fd)


def test_a_queue_behind_a_slow_reader_costs_what_its_lines_weigh():
    import tracemalloc

    import orjson

    read_fd, write_fd = os.pipe()  # nobody reads: the thread blocks in its first write
    writer = LineWriter(write_fd)
    record = {"title": "x" * 700, "n": 0}
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(3000):
        writer.put(orjson.dumps(dict(record, n=n), option=orjson.OPT_APPEND_NEWLINE))  # 8 KiB buffers each
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert held < 3000 * 1500  # ~730 bytes a line, not the 8 KiB orjson allocated for each
    os.close(read_fd)  # the blocked write fails: the thread ends
    writer.close(5)
    os.close(write_fd)


def test_at_the_end_a_slow_reader_gets_everything_however_long_it_takes_while_it_takes_something():
    read_fd, write_fd = os.pipe()
    writer = LineWriter(write_fd)
    line = b"y" * 999 + b"\n"
    for _ in range(2000):  # 2 MB: thirty pipes' worth
        writer.put(line)
    got = bytearray()
    paused = threading.Event()

    def slow_reader():
        while chunk := os.read(read_fd, 65536):
            got.extend(chunk)
            paused.wait(0.06)  # the reader's own pace: 32 reads take 2 s, each well within the stall

    reader = threading.Thread(target=slow_reader, daemon=True)
    reader.start()
    # A second without progress is a stall; the whole takes longer than that, and nothing is lost.
    assert writer.close(1.0) == 0
    os.close(write_fd)
    reader.join(5)
    os.close(read_fd)
    assert len(got) == 2000 * 1000


def test_at_the_end_a_reader_that_takes_nothing_is_given_up_after_the_stall_and_the_rest_counted():
    read_fd, write_fd = os.pipe()  # nobody ever reads
    writer = LineWriter(write_fd)
    for _ in range(2000):
        writer.put(b"z" * 999 + b"\n")
    left = writer.close(0.3)
    assert 1900 < left <= 2000  # at most a pipe's worth (65 lines) went out
    os.close(read_fd)
    os.close(write_fd)


def test_a_status_record_is_never_dropped_behind_a_slow_reader_and_keeps_its_place():
    read_fd, write_fd = os.pipe()  # nobody reads until the end
    writer = LineWriter(write_fd, max_lines=50)
    for n in range(200):
        writer.put(f"data {n}\n".encode())
    writer.put(b"status dropped\n", keep=True)
    for n in range(200, 5000):
        writer.put(f"data {n}\n".encode())
    assert writer.dropped > 4000
    reader = threading.Thread(target=lambda: got.extend(read_all(read_fd).splitlines()), daemon=True)
    got = []
    reader.start()
    assert writer.close(5) == 0
    os.close(write_fd)
    reader.join(5)
    os.close(read_fd)
    assert b"status dropped" in got
    place = got.index(b"status dropped")
    assert all(int(line.split()[1]) < 200 for line in got[:place] if line.startswith(b"data"))
    assert all(int(line.split()[1]) >= 200 for line in got[place + 1:])
