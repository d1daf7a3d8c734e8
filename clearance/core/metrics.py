"""Prometheus metrics, one registry per application so tests and processes do not mix."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.5, 5.0)
CLEAR_BUCKETS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0)
LIVENESS_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.decisions = Counter(
            "hetao_decisions",
            "Clearance decisions made by the server",
            ["decision", "direction"],
            registry=self.registry,
        )
        self.verify_seconds = Histogram(
            "hetao_verify_step_seconds",
            "Time spent in each step of POST /kiosk/verify",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.reasons = Counter(
            "hetao_decision_reasons",
            "Reasons given for decisions not cleared: by the server (POST /kiosk/verify) or by a "
            "kiosk (counted when its crossings are delivered)",
            ["reason", "source"],
            registry=self.registry,
        )
        self.liveness = Histogram(
            "hetao_liveness_score",
            "Liveness of the faces POST /kiosk/verify examined, 0 (a picture) to 1 (live)",
            buckets=LIVENESS_BUCKETS,
            registry=self.registry,
        )
        self.time_to_clear = Histogram(
            "hetao_time_to_clear_seconds",
            "Time to clear as kiosks measured it (first frame showing the person to the decision), "
            "counted when their crossings are delivered",
            ["direction", "decision"],
            buckets=CLEAR_BUCKETS,
            registry=self.registry,
        )
        self.time_to_leave = Histogram(
            "hetao_time_to_leave_seconds",
            "Time to leave as kiosks measured it (a decision to the last frame showing the person), "
            "counted when the record that carries it, the kiosk's next, is delivered",
            ["direction"],
            buckets=CLEAR_BUCKETS,
            registry=self.registry,
        )
        self.enrolments = Counter(
            "hetao_enrolments", "Enrolment attempts", ["outcome"], registry=self.registry
        )
        self.crossings_delivered = Counter(
            "hetao_kiosk_crossings",
            "Crossings delivered by kiosks, by outcome (created, duplicate, invalid)",
            ["status"],
            registry=self.registry,
        )
        self.requests = Counter(
            "hetao_http_requests", "HTTP requests answered", ["method", "status"], registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
