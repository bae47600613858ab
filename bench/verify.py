"""Check what came back: every captured reply is decrypted and read the way WeChat would.

Throughput means nothing if the replies were wrong, so after each run:
- echo targets (a, b, c): each 200 reply decrypts (its signature holds) and its content is
  one of the filing texts that were sent;
- the filing path (d) and the floor (b): replies are matched one by one, by client name,
  with the rows the run wrote (``durability``).
Before the load, ``precheck_filing`` files a few clients over plain HTTP and sends one
again to see WeChat's retry answered the same; the echo targets get one echo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.common import Credentials, index_of
from bench.loadgen import arrival_text, filing_text, offline_simulator, sender
from bot.simulator import WeChatSimulator, http_transport

FILED = "报备成功"
CLIENT = re.compile(r"客户([a-z]+)")
FILING_TEXT = re.compile(r"^报备 P1 客户[a-z]+ 1[3-9]\d\*{4}\d{4} 本地 \d{4}-\d\d-\d\d \d\d:\d\d$")


@dataclass
class ReplyCheck:
    """Counts over one run's captured replies."""

    replies: int = 0
    ok_status: int = 0
    decrypted: int = 0
    filed: int = 0
    echoed: int = 0
    bad: int = 0
    duplicates: int = 0
    other_status: dict[int, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    answered: set[int] = field(default_factory=set)  # message indices with a good reply

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"examples": self.examples[:3], "answered": len(self.answered)}


def read_capture(files: list[Path]) -> Iterator[tuple[int, bytes]]:
    """Records ``<status> <length>\\n<body>\\n`` as written by ``bench/wrk.lua``."""
    for file in files:
        data = file.read_bytes() if file.exists() else b""
        pos = 0
        while pos < len(data):
            end = data.index(b"\n", pos)
            status, length = (int(v) for v in data[pos:end].split())
            yield status, data[end + 1 : end + 1 + length]
            pos = end + 1 + length + 1


def check_replies(creds: Credentials, files: list[Path], filing: bool) -> ReplyCheck:
    """Decrypt every 200 reply; count the rest by status."""
    sim = offline_simulator(creds)
    check = ReplyCheck()
    for status, body in read_capture(files):
        check.replies += 1
        if status != 200:
            check.other_status[status] = check.other_status.get(status, 0) + 1
            continue
        check.ok_status += 1
        try:
            message = sim.read_reply(status, body)
        except Exception as error:  # a reply WeChat would reject is a wrong answer
            check.bad += 1
            check.examples.append(f"undecryptable: {error!r}")
            continue
        content = getattr(message, "content", None) or ""
        check.decrypted += 1
        good = FILED in content if filing else FILING_TEXT.match(content)
        if not good:
            check.bad += 1
            check.examples.append(content[:120])
            continue
        check.filed += filing
        check.echoed += not filing
        client = CLIENT.search(content)
        index = index_of(client.group(1)) if client else -1
        check.duplicates += index in check.answered
        check.answered.add(index)
    return check


@dataclass(frozen=True)
class Durability:
    """Rows a run wrote against the replies wrk received, matched message by message.

    wrk stops on the clock with up to one request per connection in flight; the server
    still commits those, but wrk never reads their replies. So the exact check is: every
    good reply has its row, and the rows without a reply number at most ``connections``.
    """

    rows: int
    answered: int
    answered_without_row: int
    rows_without_reply_in_flight_at_stop: int
    connections: int

    @property
    def ok(self) -> bool:
        in_flight = self.rows_without_reply_in_flight_at_stop
        return self.answered_without_row == 0 and in_flight <= self.connections

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"ok": self.ok}


def durability(rows: set[int], check: ReplyCheck, connections: int) -> Durability:
    answered = check.answered
    return Durability(
        len(rows), len(answered), len(answered - rows), len(rows - answered), connections
    )


def precheck_filing(creds: Credentials, url: str, first_index: int, count: int = 5) -> list[str]:
    """File ``count`` new clients one by one and resend the last; return the problems found."""
    sim = WeChatSimulator(creds.token, creds.app_id, creds.aes_key, http_transport(url))
    problems: list[str] = []
    arrival = arrival_text()
    last_xml, last_text = "", ""
    for index in range(first_index, first_index + count):
        last_xml = sim.text_xml(sender(index), filing_text(index, arrival))
        reply = sim.send(last_xml)
        last_text = reply.text or ""
        if reply.status != 200 or FILED not in last_text:
            problems.append(f"message {index}: HTTP {reply.status}, reply {last_text[:80]!r}")
    again = sim.send(last_xml)  # WeChat's retry of the same MsgId: same answer, no new filing
    if (again.text or "") != last_text:
        problems.append(f"retry answered {again.text!r} instead of the first reply")
    return problems


def precheck_echo(creds: Credentials, url: str) -> list[str]:
    sim = WeChatSimulator(creds.token, creds.app_id, creds.aes_key, http_transport(url))
    text = filing_text(0, arrival_text())
    reply = sim.say(sender(0), text)
    if reply.status != 200 or reply.text != text:
        return [f"echo: HTTP {reply.status}, reply {reply.text!r}"]
    return []
