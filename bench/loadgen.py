"""Pre-generated requests: signed and AES-encrypted exactly as WeChat sends them.

Signing and encrypting costs ~80 us a message in Python, about what the server spends on
decrypting, so doing it inside the load generator would steal the server's cores. Instead
each run gets files made just before it (timestamps are current; the server's tolerance
covers the run): one file per wrk thread, one request a line, each used once.

Line format: ``<path?query>\\t<body>``, with ``\\``, tab and newline in the body escaped
as ``\\\\``, ``\\t`` and ``\\n`` (``bench/wrk.lua`` undoes it once, at load time).

Every target gets the same messages: new-client filings (``报备 P1 客户… 13x****dddd 本地
<two days ahead>``), each from one of 1,000 bound agents, each client name unique, so the
echo baselines decrypt and answer messages of exactly the size the filing path does.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.apps import Credentials
from bot.simulator import WeChatSimulator

AGENTS = 1000
TZ = ZoneInfo("Asia/Shanghai")
LETTERS = string.ascii_lowercase
CHUNK = 2000


def agent_openid(index: int) -> str:
    return f"bench_agent_{index:04d}"


def letters(index: int) -> str:
    """``index`` in base 26 with a-z: client names may hold no digits (grammar rule)."""
    out = ""
    while True:
        index, digit = divmod(index, 26)
        out = LETTERS[digit] + out
        if index == 0:
            return out


def index_of(name_letters: str) -> int:
    """The inverse of ``letters``: a reply's client name back to its message index."""
    index = 0
    for char in name_letters:
        index = index * 26 + LETTERS.index(char)
    return index


def phone_mask(index: int) -> str:
    """``1<3-9><d>****<dddd>``, varied by index; the name alone keeps clients unique."""
    return f"1{3 + index % 7}{index // 7 % 10}****{index // 70 % 10000:04d}"


def filing_text(index: int, arrival: str) -> str:
    return f"报备 P1 客户{letters(index)} {phone_mask(index)} 本地 {arrival}"


def arrival_text(now: datetime | None = None) -> str:
    """Two days ahead, to the minute: always far enough for the local notice rule."""
    now = now or datetime.now(TZ)
    return (now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")


def escape(body: str) -> str:
    return body.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def unescape(line: str) -> str:
    out, chars = [], iter(line)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        nxt = next(chars, "")
        out.append({"t": "\t", "n": "\n"}.get(nxt, nxt))
    return "".join(out)


@dataclass(frozen=True)
class Batch:
    """Messages ``first .. first+count-1``; MsgId is ``msg_base + index``."""

    creds: Credentials
    first: int
    count: int
    msg_base: int
    path: str
    arrival: str


def _lines(batch: Batch) -> list[str]:
    """Runs in a pool process: sign and encrypt one chunk of messages."""
    sim = WeChatSimulator(
        batch.creds.token,
        batch.creds.app_id,
        batch.creds.aes_key,
        post=lambda _q, _b: (0, b""),
    )
    lines = []
    for index in range(batch.first, batch.first + batch.count):
        xml = sim.text_xml(
            agent_openid(index % AGENTS),
            filing_text(index, batch.arrival),
            msg_id=batch.msg_base + index,
        )
        query, body = sim.sign_and_wrap(xml)
        lines.append(f"{batch.path}?{query}\t{escape(body.decode('utf-8'))}\n")
    return lines


def _batches(
    creds: Credentials, first: int, count: int, msg_base: int, path: str
) -> Iterator[Batch]:
    arrival = arrival_text()
    for start in range(first, first + count, CHUNK):
        yield Batch(creds, start, min(CHUNK, first + count - start), msg_base, path, arrival)


def generate(
    prefix: Path,
    threads: int,
    creds: Credentials,
    first: int,
    count: int,
    msg_base: int,
    path: str = "/wechat",
    processes: int | None = None,
) -> list[Path]:
    """Write ``count`` requests round-robin into ``<prefix>.0 .. <prefix>.<threads-1>``.

    Uses every core (the server is idle meanwhile). Returns the files written.
    """
    files = [prefix.with_name(f"{prefix.name}.{t}") for t in range(threads)]
    handles = [file.open("w", encoding="utf-8") for file in files]
    position = 0
    try:
        with ProcessPoolExecutor(processes or os.cpu_count() or 1) as pool:
            for lines in pool.map(_lines, _batches(creds, first, count, msg_base, path)):
                for line in lines:
                    handles[position % threads].write(line)
                    position += 1
    finally:
        for handle in handles:
            handle.close()
    return files


def read_requests(files: list[Path]) -> Iterator[tuple[str, bytes]]:
    """The (path?query, body) pairs of generated files, for checks and the pre-check."""
    for file in files:
        with file.open(encoding="utf-8") as handle:
            for line in handle:
                target, _, body = line.rstrip("\n").partition("\t")
                yield target, unescape(body).encode("utf-8")
