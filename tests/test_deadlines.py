"""The shared deadline thread that cuts off slow body reads."""

from __future__ import annotations

import threading

from listing_archiver.scraper.deadlines import Deadlines

from .scrape_process import DEADLINE


def held(deadlines: Deadlines) -> threading.Event:
    """Keep the deadline thread busy in a first callback until the returned event is
    set: what is armed meanwhile is ordered by the heap alone, never by timing."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(DEADLINE)

    deadlines.arm(0, hold)
    assert holding.wait(DEADLINE)
    return release


def test_a_deadline_calls_its_function_once_due():
    deadlines = Deadlines()
    fired = threading.Event()
    deadlines.arm(0.05, fired.set)
    assert fired.wait(DEADLINE)


def test_a_disarmed_deadline_never_calls_its_function():
    deadlines = Deadlines()
    release = held(deadlines)
    calls: list[str] = []
    token = deadlines.arm(-60, lambda: calls.append("disarmed"))  # overdue, but held up
    deadlines.disarm(token)
    later = threading.Event()
    deadlines.arm(-30, later.set)  # due after the disarmed one
    release.set()
    assert later.wait(DEADLINE)
    assert calls == []


def test_a_sooner_deadline_armed_later_is_not_held_up_by_an_earlier_long_one():
    deadlines = Deadlines()
    deadlines.arm(3600, lambda: None)
    soon = threading.Event()
    deadlines.arm(0.05, soon.set)
    assert soon.wait(DEADLINE)  # an hour sooner than the first: no timing involved


def test_deadlines_fire_in_order_of_when_they_are_due():
    deadlines = Deadlines()
    release = held(deadlines)
    order: list[int] = []
    done = threading.Event()
    # Armed out of order, all overdue by minutes: whatever the machine's load, they
    # are due in the order 1, 2, 3.
    deadlines.arm(-60, lambda: (order.append(3), done.set()))
    deadlines.arm(-180, lambda: order.append(1))
    deadlines.arm(-120, lambda: order.append(2))
    release.set()
    assert done.wait(DEADLINE)
    assert order == [1, 2, 3]


def test_a_failing_function_does_not_stop_the_deadlines_after_it(caplog):
    deadlines = Deadlines()

    def boom() -> None:
        raise RuntimeError("boom")

    release = held(deadlines)
    after = threading.Event()
    deadlines.arm(-60, boom)
    deadlines.arm(-30, after.set)  # due after boom, so run after it
    release.set()
    assert after.wait(DEADLINE)
    assert "deadline callback failed" in caplog.text


def test_disarmed_deadlines_do_not_pile_up_however_many_reads_come_and_go():
    deadlines = Deadlines()
    for _ in range(10_000):
        deadlines.disarm(deadlines.arm(60, lambda: None))
    assert len(deadlines._armed) == 0
    assert len(deadlines._heap) <= 64


def test_one_thread_serves_every_deadline():
    deadlines = Deadlines()

    def deadline_threads() -> int:
        return sum(thread.name == "deadlines" for thread in threading.enumerate())

    before = deadline_threads()
    tokens = [deadlines.arm(60, lambda: None) for _ in range(50)]
    assert deadline_threads() == before + 1
    for token in tokens:
        deadlines.disarm(token)
