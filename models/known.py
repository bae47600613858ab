"""Clients the case site already knows (R3): they are not any distributor's to file.

Until the import of the sales system's records arrives (来电来访, 自拓, 老带新, partners),
an operator records them one at a time. A client currently protected by a distributor is
not taken over silently: that is a ruling for a manager, so it is refused here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts import AccountError, find_project, log_decision
from models.entities import Client
from models.names import holds_number, normalise_name
from models.policy import KNOWN_SOURCES, ClientStatus, is_protected, mask_phone

SOURCES = tuple(source for source in KNOWN_SOURCES if source != "public")


def add_known_client(
    session: Session, project_ref: str, name: str, full_phone: str, source: str, now: datetime
) -> Client:
    if source not in SOURCES:
        raise AccountError(f"source must be one of {', '.join(SOURCES)}")
    if not (len(full_phone) == 11 and full_phone.isdigit() and full_phone.startswith("1")):
        raise AccountError("the phone must be 11 digits starting with 1")
    project = find_project(session, project_ref)
    mask, name = mask_phone(full_phone), normalise_name(name)  # the name as filings read it
    if not name or holds_number(name):
        raise AccountError("the client's name is empty or holds a number")
    client = session.scalar(
        select(Client)
        .where(Client.project_id == project.id, Client.phone_mask == mask, Client.name == name)
        .with_for_update()
    )
    if (
        client is not None
        and client.state != ClientStatus.KNOWN
        and is_protected(client.protected_until, now)
    ):
        raise AccountError(
            f"{name} {mask} is protected by a distributor until "
            f"{client.protected_until:%Y-%m-%d}; a manager must rule on it"
        )
    if client is None:
        client = Client(
            project_id=project.id, name=name, phone_mask=mask, version=1, created_at=now
        )
        session.add(client)
    client.state, client.known_source, client.full_phone = ClientStatus.KNOWN, source, full_phone
    client.updated_at = now  # KNOWN: the state rules, whatever its protection rows say
    client.version = (client.version or 0) + 1
    session.flush()
    log_decision(
        session,
        now,
        "cli",
        "known_client",
        f"client:{client.id}",
        "R3",
        source,
        f"案场已知客户：{KNOWN_SOURCES[source]}",
        {"name": name, "phone_mask": mask},
        project.id,
    )
    return client
