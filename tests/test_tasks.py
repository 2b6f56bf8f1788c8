import asyncio

import pytest

from nanodev.tasks import TaskSet


async def test_spawned_tasks_are_named_tracked_and_cancelled() -> None:
    tasks = TaskSet("owner")
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    task = tasks.spawn(forever(), "sleeper")
    await started.wait()
    assert task.get_name() == "owner:sleeper" and len(tasks) == 1
    await tasks.cancel_all()
    assert task.cancelled() and len(tasks) == 0


async def test_finished_and_failed_tasks_leave_the_set(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskSet("owner")

    async def boom() -> None:
        raise ValueError("bad")

    tasks.spawn(boom(), "boom")
    tasks.spawn(asyncio.sleep(0), "quick")
    await tasks.wait_all(timeout=1)
    await asyncio.sleep(0)
    assert len(tasks) == 0
    assert "owner:boom failed" in caplog.text
