"""The shared deadline thread that cuts off slow body reads."""

from __future__ import annotations

import threading

from scraper.deadlines import Deadlines


def test_a_deadline_calls_its_function_once_due():
    deadlines = Deadlines()
    fired = threading.Event()
    deadlines.arm(0.05, fired.set)
    assert fired.wait(5)


def test_a_disarmed_deadline_never_calls_its_function():
    deadlines = Deadlines()
    calls: list[str] = []
    token = deadlines.arm(0.2, lambda: calls.append("early"))
    deadlines.disarm(token)
    later = threading.Event()
    deadlines.arm(0.4, later.set)
    assert later.wait(5)
    assert calls == []


def test_a_sooner_deadline_armed_later_is_not_held_up_by_an_earlier_long_one():
    deadlines = Deadlines()
    deadlines.arm(60, lambda: None)
    soon = threading.Event()
    deadlines.arm(0.05, soon.set)
    assert soon.wait(5)


def test_deadlines_fire_in_order_of_when_they_are_due():
    deadlines = Deadlines()
    order: list[int] = []
    done = threading.Event()
    deadlines.arm(0.3, lambda: (order.append(3), done.set()))
    deadlines.arm(0.1, lambda: order.append(1))
    deadlines.arm(0.2, lambda: order.append(2))
    assert done.wait(5)
    assert order == [1, 2, 3]


def test_a_failing_function_does_not_stop_the_deadlines_after_it(caplog):
    deadlines = Deadlines()

    def boom() -> None:
        raise RuntimeError("boom")

    after = threading.Event()
    deadlines.arm(0.05, boom)
    deadlines.arm(0.1, after.set)
    assert after.wait(5)
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
