"""Profile one filing worker under load and print where its CPU goes.

    .venv/bin/python -m bench.profile [--model sync:2] [--seconds 15] [--connections 16]

Starts (d) under gunicorn on fresh state, drives it with wrk exactly as the benchmark
does, and samples ONE worker with py-spy (root is needed for ptrace) for ``--seconds``.
The other workers take the same load, so one worker is representative and the profiler's
own overhead stays off the rest. Prints (and writes to ``bench/results/<date>/profile.md``)
CPU by library, the top functions by self time and the project's functions inclusive.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

from bench import loadgen, seed, stacks
from bench.server import Server, WorkerModel, free_port
from bench.webhook import RESULTS, Bench, Options, make_targets
from bench.wrkrun import WrkResult, run_wrk

# The steps of the filing path worth opening up: where each one's time goes.
EXPAND = [
    "bot/webhook_core.py:WebhookCore.handle_post",
    "bot/answer.py:Answerer.answer",
    "models/filings.py:_attempt",
    "models/filings.py:_write_pg",
    "models/filings.py:read_context",
    "bot/store.py:RedisStore.admit",
]


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy not found: .venv/bin/pip install -r bench/requirements.txt")
    return found


def profile(
    model: WorkerModel,
    seconds: float,
    connections: int,
    out: Path,
    native: bool,
    rate: int,
    idle: bool = False,
    gil: bool = False,
) -> tuple[stacks.Profile, WrkResult]:
    opt = Options(out=out, connections=[connections], keep_requests=False)
    bench = Bench(opt)
    seed.reset_all()
    target = make_targets("d")[0]
    raw = out / "raw"
    server = Server(target, model, free_port(), bench.creds.as_env(), raw / "profile.server.log")
    stacks_file = raw / "profile.pyspy.txt"
    with server:
        bench._wrk(server, connections, 2.0, 2000, "profile-warm")  # connect pools, warm caches
        count = int(max(bench.rates.values(), default=300.0) * (seconds + 4) * 2) + 2000
        prefix = bench.work / "profile.req"
        loadgen.generate(
            prefix, opt.wrk_threads, bench.creds, bench._take(count), count, bench.msg_base
        )
        box: dict[str, WrkResult] = {}
        load = threading.Thread(
            target=lambda: box.setdefault(
                "wrk",
                run_wrk(
                    server.url,
                    prefix,
                    opt.wrk_threads,
                    connections,
                    seconds + 3,
                    bench.work / "profile.json",
                ),
            ),
        )
        load.start()
        time.sleep(1.5)
        worker = server.workers()[0]
        argv = [
            py_spy(),
            "record",
            "-p",
            str(worker),
            "-d",
            str(int(seconds)),
            "-r",
            str(rate),
            "-f",
            "raw",
            "-o",
            str(stacks_file),
        ]
        if native:
            argv.append("--native")
        if idle:
            argv.append("--idle")
        if gil:
            argv.append("--gil")
        subprocess.run(argv, check=True, capture_output=True)
        load.join()
    shutil.rmtree(bench.work, ignore_errors=True)
    return stacks.parse(stacks_file), box["wrk"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    p.add_argument(
        "--model",
        default="sync:2",
        help="gunicorn worker model; sync by default: py-spy tells a thread waiting on a"
        " socket from a running one reliably only in single-threaded workers (with gthread"
        " it counts waiting threads as busy, so use --gil there)",
    )
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    p.add_argument("--native", action="store_true", help="include C frames (slower sampling)")
    p.add_argument("--idle", action="store_true", help="wall clock: include waiting (I/O)")
    p.add_argument("--gil", action="store_true", help="only samples holding the GIL")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--out", type=Path, default=RESULTS / date.today().isoformat())
    a = p.parse_args(argv)
    model = WorkerModel.parse(a.model)
    found, load = profile(model, a.seconds, a.connections, a.out, a.native, a.rate, a.idle, a.gil)
    kind = "wall clock (waiting included)" if a.idle else "on CPU"
    kind = "holding the GIL" if a.gil else kind
    header = (
        "# Profile of one (d) worker\n\nCommand: `.venv/bin/python -m bench.profile"
        f" {' '.join(sys.argv[1:])}`; gunicorn {model.name},"
        f" wrk -c{a.connections}: {load.rps:.0f} req/s, p99"
        f" {load.latency_us['p99'] / 1000:.1f} ms over the whole load. One worker sampled"
        f" {a.seconds:.0f}s at {a.rate} Hz:"
        f" {found.samples / a.rate / a.seconds * 100:.0f}% of the samples possible were {kind}."
        "\n\n"
    )
    text = header + stacks.render(found, a.top) + stacks.render_callees(found, EXPAND)
    a.out.mkdir(parents=True, exist_ok=True)
    name = "profile-wall.md" if a.idle else "profile-gil.md" if a.gil else "profile.md"
    (a.out / name).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
