import asyncio

import pytest

from incident_cli.driver.inbox import Inbox


def test_take_all_hands_over_everything_waiting_in_order():
    async def main():
        inbox: Inbox[int] = Inbox()
        for number in range(5):
            inbox.put(number)
        assert await inbox.take_all() == [0, 1, 2, 3, 4]
        assert len(inbox) == 0

    asyncio.run(main())


def test_take_all_waits_for_the_first_item_and_put_never_waits():
    async def main():
        inbox: Inbox[str] = Inbox()
        taker = asyncio.create_task(inbox.take_all())
        await asyncio.sleep(0)
        assert not taker.done()  # nothing yet: it waits
        inbox.put("a")
        inbox.put("b")  # before the taker ran: both are handed over together
        assert await asyncio.wait_for(taker, 1) == ["a", "b"]

    asyncio.run(main())


def test_a_cancelled_taker_leaves_the_inbox_usable():
    async def main():
        inbox: Inbox[int] = Inbox()
        taker = asyncio.create_task(inbox.take_all())
        await asyncio.sleep(0)
        taker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await taker
        inbox.put(1)
        assert await asyncio.wait_for(inbox.take_all(), 1) == [1]

    asyncio.run(main())


def test_batches_end_at_close_with_everything_put_before_it():
    async def main():
        inbox: Inbox[int] = Inbox()
        inbox.put(1)
        inbox.put(2)
        inbox.close()
        inbox.put(3)  # after the end: dropped
        assert [batch async for batch in inbox.batches()] == [[1, 2]]
        assert [batch async for batch in inbox.batches()] == []  # a later reader sees the end too

    asyncio.run(main())


def test_the_closing_error_comes_after_the_items():
    async def main():
        inbox: Inbox[str] = Inbox()
        batches = inbox.batches()
        inbox.put("a")
        assert await anext(batches) == ["a"]
        inbox.put("b")
        inbox.close(RuntimeError("server gone"))
        assert await anext(batches) == ["b"]
        with pytest.raises(RuntimeError, match="server gone"):
            await anext(batches)

    asyncio.run(main())
