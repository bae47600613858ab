"""The cast of the end-to-end tests: a project, distributors and their agents, bound the
way real users bind (an operator's invite code, then ``绑定`` over WeChat)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.simulator import Reply, WeChatSimulator


@dataclass
class Person:
    """One WeChat user talking to the account."""

    openid: str
    wechat: WeChatSimulator

    def say(self, text: str, **kwargs: Any) -> Reply:
        return self.wechat.send(self.wechat.text_xml(self.openid, text, **kwargs))

    def text(self, text: str) -> str:
        reply = self.say(text)
        assert reply.status == 200, reply.raw
        assert reply.text is not None, "expected a text reply"
        return reply.text


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def filing_number(reply: str) -> int:
    found = re.search(r"#(\d+)", reply)
    assert found, reply
    return int(found.group(1))


def files(agent: Person, text: str = "报备 P1 张三 13812345678 本地 明天 15:00") -> int:
    """``agent`` sends ``text``, a filing that must succeed; returns its number."""
    reply = agent.text(text)
    assert "报备成功" in reply, reply
    return filing_number(reply)


class Cast:
    """Builds people through the operator CLI and the webhook only."""

    def __init__(self, cli: Callable[..., Any], wechat: WeChatSimulator) -> None:
        self.cli = cli
        self.wechat = wechat
        self._count = 0

    def project(self, code: str = "P1", name: str = "星河湾", *settings: str) -> str:
        args = ["project", "add", code, name]
        for setting in settings:
            args += ["--set", setting]
        result = self.cli(*args)
        assert result.exit_code == 0, result.output
        return code

    def distributor(self, name: str) -> str:
        result = self.cli("distributor", "add", name)
        assert result.exit_code == 0, result.output
        return last_line(result.output)

    def agent(self, distributor: str, name: str = "王小明") -> Person:
        result = self.cli("distributor", "invite", distributor)
        assert result.exit_code == 0, result.output
        return self._bind(last_line(result.output), name, "agent")

    def staff(self, project: str, role: str = "frontdesk", name: str = "李前台") -> Person:
        result = self.cli("staff", "invite", project, role)
        assert result.exit_code == 0, result.output
        return self._bind(last_line(result.output), name, "staff")

    def _bind(self, code: str, name: str, kind: str) -> Person:
        self._count += 1
        person = Person(f"o_{kind}_{self._count:04d}", self.wechat)
        assert "绑定成功" in person.text(f"绑定 {code} {name}")
        return person


def agent_of(rig: Any) -> Person:
    """An agent bound on a custom app (``custom_app`` fixture): project P1, one distributor."""
    cast = Cast(rig.cli, rig.wechat)
    cast.project("P1", "星河湾")
    cast.distributor("甲房产经纪有限公司")
    return cast.agent("甲房产经纪有限公司")
