"""The cast of a fault test: one project, distributors (operator CLI), agents bound over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import create_app
from tests.faults.support.service import Gunicorn
from tests.moments import TZ
from tests.people import Person, last_line

PROJECT_CODE = "P1"
PROJECT_NAME = "星河湾"
#: Heavenly stems, not numerals: a name may hold neither digits nor a run of four Chinese
#: numerals (models/names.py), so counters are spelled in these.
DIGITS_AS_WORDS = "甲乙丙丁戊己庚辛壬癸"


def spelled(number: int) -> str:
    """A number spelled in letters a name may hold (no digits, no numerals)."""
    return "".join(DIGITS_AS_WORDS[int(d)] for d in str(number))


def arrival_text(days_ahead: int = 2) -> str:
    """A local arrival time the rules accept: days ahead (notice), inside the protection."""
    day = (datetime.now(TZ) + timedelta(days=days_ahead)).date()
    return f"{day.isoformat()} 15:00"


def filing_text(client_name: str, phone: str, arrival: str) -> str:
    return f"报备 {PROJECT_CODE} {client_name} {phone} 本地 {arrival}"


def phone_mask(phone: str) -> str:
    return phone if "*" in phone else f"{phone[:3]}****{phone[-4:]}"


class OperatorCommands:
    """``flask --app bot …`` run in-process against the service's database.

    The same Click commands an operator runs, without paying a Python start-up per
    invite code (twenty agents would otherwise cost most of a test's time budget).
    """

    def __init__(self, database_url: str) -> None:
        self.app = create_app(
            {
                "app": {"log_level": "WARNING"},
                "database": {"url": database_url},
                "redis": {"url": ""},
            }
        )
        self.runner = self.app.test_cli_runner()

    def run(self, *args: str) -> str:
        result = self.runner.invoke(args=list(args))
        assert result.exit_code == 0, f"flask --app bot {' '.join(args)}: {result.output}"
        return last_line(result.output)

    def close(self) -> None:
        self.app.extensions["baobei"]["services"].engine.dispose()


@dataclass
class SeededCast:
    """One project, some distributors, and their agents bound over the webhook."""

    distributors: list[str]
    agents_by_distributor: dict[str, list[str]] = field(default_factory=dict)

    @property
    def agent_openids(self) -> list[str]:
        return [openid for openids in self.agents_by_distributor.values() for openid in openids]


def seed_cast(
    database_url: str, service: Gunicorn, distributors: int, agents_per_distributor: int
) -> SeededCast:
    """Create the project and distributors (operator CLI), bind agents (``绑定`` via HTTP)."""
    operator = OperatorCommands(database_url)
    try:
        operator.run("project", "add", PROJECT_CODE, PROJECT_NAME)
        names = [f"第{spelled(i + 1)}房产经纪有限公司" for i in range(distributors)]
        cast = SeededCast(names)
        wechat = service.wechat()
        for d, name in enumerate(names):
            operator.run("distributor", "add", name)
            cast.agents_by_distributor[name] = []
            for a in range(agents_per_distributor):
                code = operator.run("distributor", "invite", name)
                openid = f"o_fault_agent_{d:02d}_{a:03d}"
                person = Person(openid, wechat)
                reply = person.text(f"绑定 {code} 经纪人{spelled(d)}{spelled(a)}")
                assert "绑定成功" in reply, reply
                cast.agents_by_distributor[name].append(openid)
        return cast
    finally:
        operator.close()
