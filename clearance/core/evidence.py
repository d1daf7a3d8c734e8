"""Gathering the evidence for a decision, the same way on the kiosk and on the server.

Both sides check a QR text the same way: its form, signature and expiry against the public keys
they hold, then the credential against what they know of it (the server from its database, the
kiosk from its whitelist copy), then a dynamic credential's code and whether that code was already
used. Each side answers the questions through a ``CredentialBook``; everything else is here,
once. Steps are timed in milliseconds, because the kiosk's promise is a decision in well under
0.2 s of compute, and the split says where the time goes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from clearance.core import credentials, rules
from clearance.core.enums import CommuterStatus
from clearance.core.reasons import Reason
from clearance.core.zone import local_today


@dataclass
class Timings:
    """Milliseconds per step, in the order they ran."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - start) * 1000)

    def add(self, name: str, ms: float) -> None:
        self.steps[name] = self.steps.get(name, 0.0) + ms

    def merge(self, other: Timings) -> None:
        for name, ms in other.steps.items():
            self.add(name, ms)

    @property
    def total(self) -> float:
        return sum(self.steps.values())

    def rounded(self) -> dict[str, float]:
        return {name: round(ms, 2) for name, ms in self.steps.items()}


@dataclass(frozen=True)
class KnownCredential:
    """What the deciding side knows of a credential it holds."""

    id: uuid.UUID
    commuter_id: uuid.UUID
    revoked: bool
    secret: bytes | None
    """A dynamic credential's code key; None for a static one, or once revoked."""
    last_step: int | None
    """The newest time step of this credential's code already cleared, if any."""


@dataclass(frozen=True)
class KnownHolder:
    """What the deciding side knows of the commuter a credential belongs to."""

    status: CommuterStatus
    valid_until: date
    has_template: bool


class CredentialBook(Protocol):
    """Where a deciding side looks things up: the server's database, or a kiosk's store."""

    def public_keys(self) -> Mapping[str, Ed25519PublicKey]: ...

    def credential(self, credential_id: uuid.UUID, *, holder_id: uuid.UUID) -> KnownCredential | None:
        """The credential ``credential_id``, issued to ``holder_id`` (as its QR says); None if
        there is none (a kiosk looks it up among the holder's)."""
        ...

    def holder(self, commuter_id: uuid.UUID) -> KnownHolder | None: ...

    def was_removed(self, credential_id: uuid.UUID) -> bool:
        """A credential of a commuter taken off the whitelist since (known, but not whitelisted)."""
        ...


@dataclass(frozen=True)
class CredentialFindings:
    evidence: rules.Evidence
    claims: credentials.Claims | None
    credential: KnownCredential | None
    """Set when the credential is one this side holds for the commuter it names."""
    dynamic_step: int | None = None
    """The time step of a dynamic code that checked out: consumed if the attempt clears."""


def credential_evidence(text: str | None, *, book: CredentialBook, now: datetime) -> CredentialFindings:
    """What the QR text ``text`` (None: no QR seen) says about the person's entitlement."""
    if text is None:
        return CredentialFindings(rules.Evidence(qr_seen=False), None, None)
    verification = credentials.verify_credential(text, public_keys=book.public_keys(), now=now)
    claims = verification.claims
    if verification.problem is not None or claims is None:
        return CredentialFindings(
            rules.Evidence(qr_seen=True, credential_problem=verification.problem), claims, None
        )
    known = book.credential(claims.credential_id, holder_id=claims.commuter_id)
    if known is None or known.commuter_id != claims.commuter_id:
        removed = known is None and book.was_removed(claims.credential_id)
        return CredentialFindings(rules.Evidence(qr_seen=True, credential_known=removed), claims, None)
    problem = None
    replayed = False
    step = None
    # A revoked credential has lost its secret: it is refused as revoked, its code unchecked.
    # A phone pass not activated yet has no secret either: no code it shows can be right.
    if verification.dynamic is not None and not known.revoked:
        if known.secret is None:
            problem = Reason.BAD_CODE
        else:
            problem = credentials.check_dynamic_code(verification, secret=known.secret, now=now)
            step = verification.dynamic.step
            replayed = known.last_step is not None and step <= known.last_step
    holder = book.holder(known.commuter_id)
    evidence = rules.Evidence(
        qr_seen=True,
        credential_problem=problem,
        credential_known=True,
        credential_revoked=known.revoked,
        replayed=replayed,
        commuter_status=holder.status if holder else None,
        commuter_expired=holder is not None and holder.valid_until < local_today(now),
        has_template=holder is not None and holder.has_template,
    )
    return CredentialFindings(evidence, claims, known, step if problem is None else None)
