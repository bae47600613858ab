"""Expected refusals that are not rulings: the sender or the thing named is unknown.

Handlers turn each into its Chinese reply; anything else that escapes is a bug, logged by
the webhook's one error handler.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of the expected refusals."""


class NotBound(DomainError):
    """The sender is not bound in the role the command needs."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class UnknownProject(DomainError):
    """No project has that code or name."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


class FilingNotFound(DomainError):
    """No filing of the sender's matches what they named."""


class AmbiguousFiling(DomainError):
    """Several of the sender's filings match; the reply lists them to choose from."""

    def __init__(self, candidates: list[tuple[int, str, str]]) -> None:
        super().__init__(len(candidates))
        self.candidates = candidates  # (number, name, phone mask)


class InvalidInvite(DomainError):
    """The invite code is unknown or already used."""
