"""(c) WeRoBot as its users run it: the echo robot of its README, safe mode, sessions on.

Nothing tuned: ``@robot.text`` returns the content, the session storage is WeRoBot's
default (SQLite file ``werobot_session.sqlite3`` in the working directory, one write and
commit per message), and gunicorn serves ``robot.wsgi``, WeRoBot's own Bottle app. The
orchestrator starts it in a scratch directory so the SQLite file stays out of the repo.
"""

from __future__ import annotations

from typing import Any

import werobot

from bench.apps import credentials

_creds = credentials()
robot = werobot.WeRoBot()
robot.config["TOKEN"] = _creds.token
robot.config["APP_ID"] = _creds.app_id
robot.config["ENCODING_AES_KEY"] = _creds.aes_key


@robot.text
def echo(message: Any) -> str:
    return message.content


app = robot.wsgi
