"""Two gunicorn instances sharing one database and one Redis behave as one service.

The README promises that several web instances may run behind a load balancer: dedup is
shared through Redis and the one-owner rule is enforced by PostgreSQL, not by anything
inside a process. So load split over two instances must lose and double nothing, and two
distributors filing one client at the same moment through different instances must get
exactly one 报备成功 between them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from tests.conftest import REDIS_URL
from tests.faults.support.accounting import assert_acknowledged_filings_kept_once, filing_rows
from tests.faults.support.cast import arrival_text, seed_cast, spelled
from tests.faults.support.load import FilingAttempt, at_once, run_filing_load, send_filing
from tests.faults.support.postgres import database_engine
from tests.faults.support.service import Gunicorn, service_environment

pytestmark = pytest.mark.faults

SENDERS = 8
LOAD_SECONDS = 4.0
CONTESTED_CLIENTS = 10


@pytest.fixture
def two_instances(
    fresh_database_url: str, shared_redis_prefix: str, start_service: Callable[..., Gunicorn]
) -> list[Gunicorn]:
    env = service_environment(fresh_database_url, REDIS_URL, shared_redis_prefix)
    return [start_service("a", env), start_service("b", env)]


def logs(instances: list[Gunicorn]) -> str:
    return "\n" + "\n".join(instance.log_tail(20) for instance in instances)


def test_load_split_over_two_instances_loses_and_doubles_no_filing(
    fresh_database_url: str, two_instances: list[Gunicorn]
) -> None:
    cast = seed_cast(fresh_database_url, two_instances[0], distributors=2, agents_per_distributor=5)
    attempts = run_filing_load(two_instances, cast.agent_openids, SENDERS, LOAD_SECONDS)
    with database_engine(fresh_database_url) as engine:
        accounting = assert_acknowledged_filings_kept_once(engine, attempts, logs(two_instances))
    assert accounting.acknowledged == accounting.sent == accounting.filed_rows, (
        f"with no fault every unique client is filed: {accounting}"
        f"{[a for a in attempts if not a.acknowledged][:3]}{logs(two_instances)}"
    )
    print(f"\ntwo instances: {accounting}")


def test_one_client_filed_at_once_via_two_instances_by_two_distributors_has_one_winner(
    fresh_database_url: str, two_instances: list[Gunicorn]
) -> None:
    cast = seed_cast(fresh_database_url, two_instances[0], distributors=2, agents_per_distributor=1)
    first, second = (cast.agents_by_distributor[name][0] for name in cast.distributors)
    arrival = arrival_text()

    for number in range(1, CONTESTED_CLIENTS + 1):
        name, phone = f"争议客户{spelled(number)}", f"137{number:08d}"
        # who goes through which instance alternates, so neither instance always wins
        routes = [
            (first, two_instances[number % 2].wechat()),
            (second, two_instances[(number + 1) % 2].wechat()),
        ]
        replies: list[FilingAttempt] = at_once(
            [partial(send_filing, sim, agent, name, phone, arrival) for agent, sim in routes]
        )
        texts = [reply.text or f"(no reply: {reply})" for reply in replies]
        assert sum("报备成功" in t for t in texts) == 1, f"{name}: {texts}{logs(two_instances)}"
        assert sum("报备失败" in t and "其他渠道" in t for t in texts) == 1, f"{name}: {texts}"

    with database_engine(fresh_database_url) as engine:
        rows = list(filing_rows(engine).values())
    assert sum(row.status == "filed" for row in rows) == CONTESTED_CLIENTS
    assert sum(row.status == "refused" for row in rows) == CONTESTED_CLIENTS
