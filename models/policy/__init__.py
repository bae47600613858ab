"""The rule book (../shared/domain.md R1-R12) as pure functions over plain values.

Split by job: ``values`` (a project's policy values and how they are read), ``dates``
(when protections, windows and claims end), ``states`` (the status words stored and
judged), ``rules`` (the ``decide_*`` functions and the ``Ruling`` they return),
``wording`` (the reasons and the rule book's words for them).
Nothing in the package does I/O or reads a clock. The public names are re-exported here,
so callers write ``from models.policy import decide_filing``.
"""

from models.policy.dates import (
    END_OF_DAY,
    bulk_extension_end,
    ceil_to_minute,
    claim_deadline,
    end_of_day,
    filing_protection_end,
    local_day,
    reminder_days,
    renewal_window_start,
    renewed_end,
    visit_protection_end,
)
from models.policy.rules import (
    RULE_OF,
    ClientState,
    FilingFacts,
    FilingState,
    Ruling,
    check_advance_notice,
    decide_cancel,
    decide_filing,
    decide_ownership,
    decide_visit_report,
    effective_status,
    is_protected,
    mask_matches,
    mask_phone,
)
from models.policy.states import (
    PROTECTING,
    REMINDER_KINDS,
    ClientStatus,
    DistributorStatus,
    FilingStatus,
    ProtectionEnd,
    ProtectionKind,
    PushKind,
)
from models.policy.values import Policy, PolicyError, parse_flag
from models.policy.wording import KNOWN_SOURCES, STATUS_WORDS, Reason, span_words

__all__ = [
    "END_OF_DAY",
    "KNOWN_SOURCES",
    "RULE_OF",
    "STATUS_WORDS",
    "PROTECTING",
    "REMINDER_KINDS",
    "ClientState",
    "ClientStatus",
    "DistributorStatus",
    "FilingFacts",
    "FilingState",
    "FilingStatus",
    "Policy",
    "ProtectionEnd",
    "ProtectionKind",
    "PushKind",
    "PolicyError",
    "Reason",
    "Ruling",
    "bulk_extension_end",
    "ceil_to_minute",
    "check_advance_notice",
    "claim_deadline",
    "decide_cancel",
    "decide_filing",
    "decide_ownership",
    "decide_visit_report",
    "effective_status",
    "end_of_day",
    "filing_protection_end",
    "is_protected",
    "local_day",
    "mask_matches",
    "mask_phone",
    "parse_flag",
    "reminder_days",
    "renewal_window_start",
    "renewed_end",
    "span_words",
    "visit_protection_end",
]
