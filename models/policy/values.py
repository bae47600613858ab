"""A project's policy values (domain.md, "Policy parameters") and how they are read.

Values come from a TOML file, the environment, ``--set key=value`` or a project's stored
JSON, so every reader goes through ``Policy.from_mapping``: one place that knows each
key's type, refuses unknown keys and negative numbers, and names the key at fault.
What was stored under a key since replaced is read by ``Policy.from_stored``, so projects
and filings written before the change keep the values they were made under.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any


class PolicyError(ValueError):
    """A policy value is unknown or of the wrong type; the message names the key."""


#: Keys once stored, now replaced: old key -> (new key, what one old unit is in new units).
RENAMED: dict[str, tuple[str, int]] = {"remote_notice_hours": ("remote_notice_minutes", 60)}


@dataclass(frozen=True)
class Policy:
    """A project's policy values (domain.md, "Policy parameters"); 0 switches a limit off.

    A ruling keeps the ``as_dict()`` of the values it was made under, so a later policy
    change never rewrites history.
    """

    local_notice_minutes: int = 60
    remote_notice_minutes: int = 1440  # minutes, so "half an hour for every client" fits
    filing_protection_days: int = 7
    visit_protection_days: int = 45
    bulk_extension_days: int = 45
    renewal_window_days: int = 7
    claim_window_days: int = 3
    claim_first_filer_wins: bool = False  # R10.3 variant (渠道带客): filing time, not visit
    max_open_filings: int = 0
    expired_refile: bool = False
    visit_slack_minutes: int = 5
    filing_reminder_days: int = 1  # R4: remind N days before a filing lapses (0 = off)
    visit_reminder_days: int = 7  # R8: first reminder, N days before a visit protection ends
    visit_last_reminder_days: int = 1  # R8: the last reminder (0 = off)
    interception_fine_yuan: int = 50_000  # R11: a first interception's fine (0 = none)
    false_filing_damages_yuan: int = 100_000  # R11: a false filing's liquidated damages
    refund_deadline_days: int = 3  # R11: a paid commission returned, notice day = day 1
    commission_rate_bp: int = 160  # R9: 1.6% of the total price, in basis points
    commission_low_rate_bp: int = 150  # R9: 1.5% for a distributor with few contracts
    commission_low_rate_below_contracts: int = 2  # R9: "fewer than 2 a month" (0 = never)

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Policy:
        """Build from stored or typed values, naming the first bad key."""
        known = {f.name: f for f in fields(cls)}
        clean: dict[str, Any] = {}
        for key, value in (values or {}).items():
            if key in RENAMED:
                new, factor = RENAMED[key]
                raise PolicyError(f"policy key {key} was replaced by {new} (x{factor})")
            if key not in known:
                raise PolicyError(f"unknown policy key: {key}")
            want = bool if known[key].type in ("bool", bool) else int
            clean[key] = _coerce(key, value, want)
        return cls(**clean)

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> Policy:
        """Read a policy stored before a key was replaced (a project's, a filing's).

        ``remote_notice_hours`` (whole hours) became ``remote_notice_minutes`` so the seeds'
        "half an hour for every client" can be set: 24 stored hours read as 1440 minutes.
        Typed values (config, ``--set``) go through ``from_mapping``, which names the new key.
        """
        stored = dict(values or {})
        for old, (new, factor) in RENAMED.items():
            if old in stored:
                value = _coerce(old, stored.pop(old), int)
                stored.setdefault(new, value * factor)
        return cls.from_mapping(stored)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def visit_reminder_leads(self) -> tuple[int, ...]:
        """R8's lead days, largest first: (7, 1) by default; 0 switches one off."""
        days = {self.visit_reminder_days, self.visit_last_reminder_days} - {0}
        return tuple(sorted(days, reverse=True))

    def notice_for(self, remote: bool) -> timedelta:
        """R2: how long before arrival a client must be filed (or a visit reported)."""
        if remote:
            return timedelta(minutes=self.remote_notice_minutes)
        return timedelta(minutes=self.local_notice_minutes)


def parse_flag(value: Any) -> bool | None:
    """A yes/no as people type it in a TOML file, an environment or ``--set``; None if not."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return None


def _coerce(key: str, value: Any, want: type) -> Any:
    if want is bool:
        flag = parse_flag(value)
        if flag is None:
            raise PolicyError(f"policy key {key} must be true or false, got {value!r}")
        return flag
    try:
        number = int(str(value).strip())
    except ValueError:
        raise PolicyError(f"policy key {key} must be a whole number, got {value!r}") from None
    if number < 0:
        raise PolicyError(f"policy key {key} must not be negative, got {number}")
    return number
