import pytest

from clearance.core.enums import CommuterStatus, Decision
from clearance.core.reasons import Reason
from clearance.core.rules import Evidence, Thresholds, decide

THRESHOLDS = Thresholds(match=0.55, refer=0.60, attack=0.2, live=0.5)
GOOD = Evidence(
    qr_seen=True,
    credential_known=True,
    commuter_status=CommuterStatus.ACTIVE,
    has_template=True,
    face_count=1,
    distance=0.35,
    liveness=0.9,
)


def with_(**changes: object) -> Evidence:
    return Evidence(**{**GOOD.__dict__, **changes})


@pytest.mark.parametrize(
    ("evidence", "decision", "reasons"),
    [
        (GOOD, Decision.CLEARED, ()),
        (with_(distance=0.55), Decision.CLEARED, ()),
        (with_(distance=0.57), Decision.REFER, (Reason.FACE_UNCERTAIN,)),
        (with_(distance=0.61), Decision.REJECTED, (Reason.FACE_MISMATCH,)),
        (with_(qr_seen=False), Decision.REJECTED, (Reason.NO_QR,)),
        (with_(credential_problem=Reason.MALFORMED_QR), Decision.REJECTED, (Reason.MALFORMED_QR,)),
        (with_(credential_problem=Reason.BAD_SIGNATURE), Decision.REJECTED, (Reason.BAD_SIGNATURE,)),
        (with_(credential_problem=Reason.UNKNOWN_KEY), Decision.REJECTED, (Reason.UNKNOWN_KEY,)),
        (with_(credential_problem=Reason.EXPIRED), Decision.REJECTED, (Reason.EXPIRED,)),
        (with_(credential_known=False), Decision.REJECTED, (Reason.UNKNOWN_CREDENTIAL,)),
        (with_(credential_revoked=True), Decision.REJECTED, (Reason.REVOKED,)),
        (with_(commuter_expired=True), Decision.REJECTED, (Reason.EXPIRED,)),
        (with_(commuter_status=CommuterStatus.PENDING), Decision.REJECTED, (Reason.NOT_WHITELISTED,)),
        (with_(commuter_status=CommuterStatus.SUSPENDED), Decision.REJECTED, (Reason.NOT_WHITELISTED,)),
        (with_(has_template=False), Decision.REJECTED, (Reason.NOT_WHITELISTED,)),
        (with_(face_count=0, distance=None), Decision.REFER, (Reason.NO_FACE,)),
        (with_(face_count=2, distance=None), Decision.REFER, (Reason.SEVERAL_FACES,)),
        (
            with_(face_quality_failures=(Reason.FACE_TOO_SMALL,), distance=None),
            Decision.REFER,
            (Reason.FACE_TOO_SMALL,),
        ),
        (with_(credential_problem=Reason.CODE_EXPIRED), Decision.REJECTED, (Reason.CODE_EXPIRED,)),
        (with_(credential_problem=Reason.CODE_MISSING), Decision.REJECTED, (Reason.CODE_MISSING,)),
        (with_(credential_problem=Reason.BAD_CODE), Decision.REJECTED, (Reason.BAD_CODE,)),
        (with_(replayed=True), Decision.REJECTED, (Reason.REPLAYED,)),
        (with_(passback=True), Decision.REFER, (Reason.ANTI_PASSBACK,)),
        (with_(passback=True, distance=0.7), Decision.REJECTED, (Reason.FACE_MISMATCH,)),
        # A bad credential rejects whatever the face shows.
        (with_(credential_revoked=True, distance=0.1), Decision.REJECTED, (Reason.REVOKED,)),
        # A picture held up: rejected whoever it shows, and never cleared while in doubt.
        (with_(liveness=0.1), Decision.REJECTED, (Reason.PRESENTATION_ATTACK,)),
        (with_(liveness=0.1, distance=0.7), Decision.REJECTED, (Reason.PRESENTATION_ATTACK,)),
        (with_(liveness=0.2), Decision.REFER, (Reason.LIVENESS_UNCERTAIN,)),
        (with_(liveness=0.49), Decision.REFER, (Reason.LIVENESS_UNCERTAIN,)),
        (with_(liveness=0.5), Decision.CLEARED, ()),
        (with_(liveness=None), Decision.REFER, (Reason.LIVENESS_UNCERTAIN,)),
        (
            with_(liveness=0.3, distance=0.57),
            Decision.REFER,
            (Reason.LIVENESS_UNCERTAIN, Reason.FACE_UNCERTAIN),
        ),
        (with_(liveness=0.3, distance=0.7), Decision.REJECTED, (Reason.FACE_MISMATCH,)),
        (with_(liveness=0.3, passback=True), Decision.REFER, (Reason.LIVENESS_UNCERTAIN,)),
        (with_(liveness=0.1, face_count=2, distance=None), Decision.REFER, (Reason.SEVERAL_FACES,)),
    ],
)
def test_decision_table(evidence: Evidence, decision: Decision, reasons: tuple[Reason, ...]) -> None:
    outcome = decide(evidence, thresholds=THRESHOLDS)
    assert (outcome.decision, outcome.reasons) == (decision, reasons)
