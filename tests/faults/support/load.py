"""Load on the service: filing messages sent from threads, and what came back for each."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from bot.simulator import Reply, WeChatSimulator
from tests.faults.support.cast import arrival_text, filing_text, phone_mask, spelled
from tests.faults.support.service import Gunicorn

SUCCESS = re.compile(r"报备成功 #(\d+)")


@dataclass(frozen=True)
class FilingAttempt:
    """One filing message sent, and what (if anything) came back."""

    openid: str
    client_name: str
    phone: str
    arrival: str
    msg_id: int
    status: int | None  # HTTP status; None when the reply was lost (connection error)
    text: str | None
    error: str | None = None

    @property
    def phone_mask(self) -> str:
        return phone_mask(self.phone)

    @property
    def filing_no(self) -> int | None:
        found = SUCCESS.search(self.text or "")
        return int(found.group(1)) if found else None

    @property
    def acknowledged(self) -> bool:
        return self.filing_no is not None

    @property
    def reply_lost(self) -> bool:
        return self.status is None


def send_filing(
    wechat: WeChatSimulator,
    openid: str,
    client_name: str,
    phone: str,
    arrival: str,
    msg_id: int | None = None,
) -> FilingAttempt:
    """Post one 报备; a connection error is recorded as a lost reply, not raised."""
    msg_id = wechat.next_msg_id() if msg_id is None else msg_id
    xml = wechat.text_xml(openid, filing_text(client_name, phone, arrival), msg_id=msg_id)
    try:
        reply: Reply = wechat.send(xml)
    except requests.RequestException as error:
        return FilingAttempt(
            openid, client_name, phone, arrival, msg_id, None, None, type(error).__name__
        )
    return FilingAttempt(openid, client_name, phone, arrival, msg_id, reply.status, reply.text)


class UniqueClients:
    """Client names and phones never used before in this test, from any thread."""

    def __init__(self, prefix: str = "客户") -> None:
        self.prefix = prefix
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> tuple[str, str]:
        with self._lock:
            number = next(self._numbers)
        return f"{self.prefix}{spelled(number)}", f"139{number:08d}"


def run_filing_load(
    services: Sequence[Gunicorn],
    openids: Sequence[str],
    threads: int,
    seconds: float,
    clients: UniqueClients | None = None,
) -> list[FilingAttempt]:
    """``threads`` senders file unique clients for ``seconds``, alternating instances.

    Each sender has its own HTTP sessions (one per instance) and takes turns over the
    instances, so a multi-instance test really splits every sender's load.
    """
    clients = clients or UniqueClients()
    arrival = arrival_text()
    results: list[list[FilingAttempt]] = [[] for _ in range(threads)]
    deadline = time.monotonic() + seconds

    def sender(index: int) -> None:
        sims = [service.wechat(timeout=15) for service in services]
        for turn in itertools.count():
            if time.monotonic() >= deadline:
                return
            sim = sims[(index + turn) % len(sims)]
            openid = openids[(index + turn * threads) % len(openids)]
            name, phone = clients.next()
            results[index].append(send_filing(sim, openid, name, phone, arrival))

    workers = [
        threading.Thread(target=sender, args=(i,), name=f"load-{i}", daemon=True)
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 40)
    assert not any(worker.is_alive() for worker in workers), "a load sender hung"
    return [attempt for per_thread in results for attempt in per_thread]


def at_once(calls: Sequence[Callable[[], Any]], timeout: float = 30.0) -> list[Any]:
    """Run the calls in threads released together by a barrier; their results in order.

    An exception in a call is returned in its place rather than lost in the thread.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except Exception as error:  # reported to the test, which asserts on it
            results[index] = error

    workers = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    assert not any(worker.is_alive() for worker in workers), "a concurrent sender hung"
    return results
