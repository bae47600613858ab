"""With Redis killed, the webhook keeps answering and still processes each message once.

Redis holds the dedup claims of WeChat's retries. When it dies, the service must neither
go silent (WeChat would show the agent nothing) nor process a retried message twice: it
falls back to claiming the MsgId in PostgreSQL. WeChat retries an unanswered message up
to three times, sometimes while the first attempt is still running, so both the
sequential and the simultaneous case must give one filing and the same answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import pytest

from tests.faults.support.accounting import (
    database_dedup_claims,
    filings_of_message,
    filings_without_a_decision,
)
from tests.faults.support.cast import arrival_text, seed_cast
from tests.faults.support.load import FilingAttempt, UniqueClients, at_once, send_filing
from tests.faults.support.postgres import database_engine
from tests.faults.support.redis_servers import PrivateRedis
from tests.faults.support.service import Gunicorn, service_environment
from tests.people import Person

pytestmark = pytest.mark.faults

RETRIES = 3


def test_with_redis_killed_the_webhook_answers_and_each_message_is_filed_once(
    fresh_database_url: str,
    redis_server: PrivateRedis,
    start_service: Callable[..., Gunicorn],
) -> None:
    """File with Redis up, SIGKILL Redis, then 帮助, a filing, and one MsgId 3x (twice)."""
    service = start_service(
        "redis-down", service_environment(fresh_database_url, redis_server.url, "faults")
    )
    cast = seed_cast(fresh_database_url, service, distributors=1, agents_per_distributor=1)
    agent = cast.agent_openids[0]
    wechat = service.wechat()
    clients, arrival = UniqueClients(), arrival_text()

    def log() -> str:
        return f"\n{service.log_tail()}"

    def file_new_client(msg_id: int | None = None) -> FilingAttempt:
        name, phone = clients.next()
        return send_filing(wechat, agent, name, phone, arrival, msg_id)

    before = file_new_client()
    assert before.acknowledged, f"filing with Redis up failed: {before}{log()}"

    redis_server.kill()
    assert not redis_server.answers()

    started = time.monotonic()
    help_id = wechat.next_msg_id()
    help_reply = Person(agent, wechat).say("帮助", msg_id=help_id)
    assert help_reply.status == 200 and help_reply.text and "报备" in help_reply.text, (
        f"帮助 unanswered with Redis down: {help_reply}{log()}"
    )
    during = file_new_client()
    assert during.acknowledged, f"filing with Redis down failed: {during}{log()}"
    assert time.monotonic() - started < 5, "answers with Redis down must beat WeChat's 5 s"

    name, phone = clients.next()
    msg_id = wechat.next_msg_id()
    sequential = [send_filing(wechat, agent, name, phone, arrival, msg_id) for _ in range(RETRIES)]
    texts = {attempt.text for attempt in sequential}
    assert len(texts) == 1 and sequential[0].acknowledged, f"{sequential}{log()}"

    name, phone = clients.next()
    msg_id = wechat.next_msg_id()
    senders = [service.wechat() for _ in range(RETRIES)]
    simultaneous: list[FilingAttempt] = at_once(
        [partial(send_filing, sim, agent, name, phone, arrival, msg_id) for sim in senders]
    )
    answered = {attempt.text for attempt in simultaneous if attempt.text}
    assert len(answered) == 1 and "报备成功" in next(iter(answered)), f"{simultaneous}{log()}"

    with database_engine(fresh_database_url) as engine:
        assert filings_of_message(engine, sequential[0].msg_id) == 1
        assert filings_of_message(engine, msg_id) == 1
        assert filings_without_a_decision(engine) == []
        claims = database_dedup_claims(engine)
    # other messages are claimed in the database while Redis is down; filings need no
    # claim anywhere: their unique source key makes every retry answer from the first
    assert f"m{help_id}" in claims, "dedup did not fall back to the database"
    assert not {f"m{sequential[0].msg_id}", f"m{msg_id}"} & claims


def test_a_retry_that_arrives_after_redis_died_gets_the_first_attempts_answer(
    fresh_database_url: str,
    redis_server: PrivateRedis,
    start_service: Callable[..., Gunicorn],
) -> None:
    """WeChat retries when an answer is late; Redis may die between attempt and retry.

    The retry is then claimed in PostgreSQL, which never saw the first claim, so the
    message is processed again; the unique ``source_msg`` stops a second filing (which
    holds), and the agent should hear the first answer again, word for word.
    """
    service = start_service(
        "redis-crossover", service_environment(fresh_database_url, redis_server.url, "faults")
    )
    cast = seed_cast(fresh_database_url, service, distributors=2, agents_per_distributor=1)
    owner, rival = cast.agent_openids
    wechat, arrival = service.wechat(), arrival_text()
    accepted = send_filing(wechat, owner, "客户甲", "13900000001", arrival)
    refused = send_filing(wechat, rival, "客户甲", "13900000001", arrival)
    assert accepted.acknowledged and refused.text and "其他渠道" in refused.text

    redis_server.kill()
    retries = [
        send_filing(wechat, first.openid, first.client_name, first.phone, arrival, first.msg_id)
        for first in (accepted, refused)
    ]

    with database_engine(fresh_database_url) as engine:
        assert filings_of_message(engine, accepted.msg_id) == 1
        assert filings_of_message(engine, refused.msg_id) == 1
    for first, retry in zip((accepted, refused), retries, strict=True):
        assert retry.text == first.text, (
            f"first answer:\n{first.text}\nthe retry's answer:\n{retry.text}"
        )
