"""The spool keeps the envelope with the bytes, counts tries, and sets poison aside."""

from __future__ import annotations

from gateway.spool import Envelope, Spool


def test_put_read_done(tmp_path):
    spool = Spool(tmp_path)
    name = spool.put(Envelope("a@b.example", ["s@hub.example.org"], "smtp", "127.0.0.1"), b"raw\r\n")
    assert spool.pending() == [name] and list(spool.tmp.iterdir()) == []
    envelope, raw = spool.read(name)
    assert (envelope.mail_from, envelope.recipients, raw) == (
        "a@b.example",
        ["s@hub.example.org"],
        b"raw\r\n",
    )
    assert spool.attempt(name) == 1
    spool.failed_try(name, 1)
    assert spool.attempt(name) == 2
    spool.done(name)
    spool.batch_ended()
    assert spool.pending() == [] and [p.read_text() for p in spool.tries.iterdir()] == [""]


def test_entries_come_out_in_arrival_order(tmp_path):
    spool = Spool(tmp_path)
    names = [spool.put(Envelope("", ["s@h.example"], "pipe"), f"m{n}".encode()) for n in range(5)]
    assert spool.pending() == names


def test_set_aside_and_retry(tmp_path):
    spool = Spool(tmp_path)
    name = spool.put(Envelope("", ["s@h.example"], "pipe"), b"x")
    spool.failed_try(name, spool.attempt(name))
    spool.set_aside(name, "3 attempts; last error: boom")
    assert spool.pending() == [] and [(f.name, f.error) for f in spool.failed()] == [
        (name, "3 attempts; last error: boom")
    ]
    assert spool.retry() == [name]
    assert spool.pending() == [name] and spool.failed() == []
    assert spool.attempt(name) == 1  # a fresh count after retry


def test_stored_entries_leave_new_at_once_and_the_disk_soon(tmp_path):
    import time

    spool = Spool(tmp_path)
    names = [spool.put(Envelope("", ["s@h.example"], "pipe"), b"x" * 9000) for _ in range(20)]
    spool.done_many(names)
    assert spool.pending() == []  # never taken again, whatever the background thread is at
    deadline = time.monotonic() + 10
    while list(spool.done_dir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(spool.done_dir.iterdir()) == []


def test_what_a_crash_left_in_done_goes_at_the_next_start(tmp_path):
    spool = Spool(tmp_path)
    (spool.done_dir / "00000000000000000001-left.msg").write_bytes(b"stored before the crash")
    Spool(tmp_path).clean_tmp()
    assert list(spool.done_dir.iterdir()) == [] and spool.pending() == []


def test_a_batch_a_crash_interrupted_counts_a_try_for_each_entry_it_had_reached(tmp_path):
    """The journal of a worker that died mid-batch (here a dead child's) is read at the next start."""
    import multiprocessing
    import os

    spool = Spool(tmp_path)
    first, second, third = (spool.put(Envelope("", ["s@h.example"], "pipe"), b"x") for _ in range(3))
    spool.done_many([first])  # stored and committed before the crash: no try to count

    def crash_mid_batch() -> None:
        child = Spool(tmp_path)
        for name in (first, second, third):
            child.attempt(name)
        os._exit(1)  # killed before the batch was committed

    process = multiprocessing.get_context("fork").Process(target=crash_mid_batch)
    process.start()
    process.join()
    Spool(tmp_path).recover_interrupted()
    assert (spool.tries_of(first), spool.tries_of(second), spool.tries_of(third)) == (0, 1, 1)
    assert [p.name for p in spool.tries.iterdir() if p.name.startswith("batch-of-")] == []
    Spool(tmp_path).recover_interrupted()  # read once, not again
    assert spool.tries_of(second) == 1
