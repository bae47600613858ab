"""WeChat's simultaneous retries of one message, landing on two instances, file it once.

Behind a load balancer, WeChat's retries of one MsgId can reach different instances while
the first attempt is still running. The Redis claim shared by the instances must let
exactly one of them process the message, and the others must answer with that very
reply (not a second ruling, not "already filed by you").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from tests.conftest import REDIS_URL
from tests.faults.support.accounting import filings_of_message
from tests.faults.support.cast import arrival_text, seed_cast
from tests.faults.support.load import FilingAttempt, UniqueClients, at_once, send_filing
from tests.faults.support.postgres import database_engine
from tests.faults.support.service import Gunicorn, service_environment

pytestmark = pytest.mark.faults

ROUNDS = 6
COPIES = 3


def test_one_msgid_posted_three_times_at_once_to_two_instances_files_once(
    fresh_database_url: str,
    shared_redis_prefix: str,
    start_service: Callable[..., Gunicorn],
) -> None:
    env = service_environment(fresh_database_url, REDIS_URL, shared_redis_prefix)
    instances = [start_service("a", env), start_service("b", env)]
    cast = seed_cast(fresh_database_url, instances[0], distributors=1, agents_per_distributor=1)
    agent, clients, arrival = cast.agent_openids[0], UniqueClients(), arrival_text()

    def log() -> str:
        return "\n".join(instance.log_tail(20) for instance in instances)

    for round_no in range(ROUNDS):
        name, phone = clients.next()
        msg_id = instances[0].wechat().next_msg_id()
        # a, b, a then b, a, b: each instance is both the first and a retry's target
        senders = [instances[(round_no + copy) % 2].wechat() for copy in range(COPIES)]
        replies: list[FilingAttempt] = at_once(
            [partial(send_filing, sim, agent, name, phone, arrival, msg_id) for sim in senders]
        )
        texts = {reply.text for reply in replies if reply.text}
        assert len(texts) == 1, f"round {round_no}: different answers {replies}\n{log()}"
        # a retry waits for the first attempt's reply (well inside WeChat's 5 s), so every
        # copy is answered, and answered alike
        assert all(reply.text for reply in replies), f"round {round_no}: {replies}\n{log()}"
        assert "报备成功" in texts.pop(), f"round {round_no}: {replies}\n{log()}"
        with database_engine(fresh_database_url) as engine:
            assert filings_of_message(engine, msg_id) == 1, f"round {round_no}\n{log()}"
