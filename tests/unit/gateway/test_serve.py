"""serve's waits give way to its stop: a cancel is never lost, whatever ends at the same moment."""

from __future__ import annotations

import asyncio

import pytest

from gateway.serve import _at_most


async def wait_again_and_again(event: asyncio.Event) -> None:
    """As the outbox does between drains: only a cancel ends it."""
    while True:
        event.clear()
        await _at_most(2, event.wait())


@pytest.mark.parametrize("turns", range(5))
def test_a_cancel_that_comes_as_the_event_is_set_still_ends_the_loop(turns):
    # With asyncio.wait_for (Python 3.11) the loop went on for turns 0 to 2: the cancel was taken
    # for the event, and serve waited for its outbox for ever.
    async def main() -> bool:
        event = asyncio.Event()
        waiting = asyncio.create_task(wait_again_and_again(event))
        await asyncio.sleep(0)
        event.set()
        for _ in range(turns):
            await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.wait([waiting], timeout=1)
        return waiting.cancelled()

    assert asyncio.run(main())


def test_the_wait_ends_after_its_seconds():
    async def main() -> float:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await _at_most(0.05, asyncio.Event().wait())
        return loop.time() - started

    assert 0.05 <= asyncio.run(main()) < 1
