"""Health, metrics, the error contract, settings and the schema."""

import ipaddress
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clearance.cli.launch import reachable_address
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.enums import Park, Role
from clearance.core.settings import Settings
from clearance.db import migrations as schema
from clearance.db.base import Base
from clearance.db.engine import make_engine
from clearance.db.models import Commuter, Organisation, User
from tests.support import METRICS, World, enrol_active, frame_jpeg, verify_frame


def test_healthz_reports_a_current_schema(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "schema_revision": schema.head_revision()}


def test_metrics_are_for_whoever_holds_the_metrics_token(client: TestClient, world: World) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer a-guess"}).status_code == 401
    # A staff account is not enough: the counts are for the monitoring system.
    assert client.get("/metrics", headers=world.admin.headers).status_code == 401
    answer = client.get("/metrics", headers=METRICS)
    assert answer.status_code == 200 and "hetao_decisions" in answer.text


def test_metrics_count_decisions_and_time_steps(client: TestClient, world: World) -> None:
    _commuter, credential = enrol_active(client, world, SAMPLE_COMMUTERS[0])
    before = client.get("/metrics", headers=METRICS).text
    verify_frame(client, world, frame_jpeg(SAMPLE_COMMUTERS[0].live_photo, credential["payload"]))
    after = client.get("/metrics", headers=METRICS).text

    def value(text: str, line_start: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(line_start)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    cleared = 'hetao_decisions_total{decision="cleared",direction="to_hk"}'
    assert value(after, cleared) == value(before, cleared) + 1
    assert 'hetao_verify_step_seconds_bucket{le="0.005",step="face_encode"}' in after


def test_unknown_paths_and_methods_answer_in_the_error_shape(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    body = missing.json()
    assert (body["error"], body["detail"]) == ("NotFound", "Not Found")
    # The request's id is in the answer, its header and the server's log line.
    assert body["request_id"] == missing.headers["x-request-id"] and len(body["request_id"]) == 32
    wrong_method = client.delete("/api/v1/commuters")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "MethodNotAllowed"


def test_openapi_documents_the_error_answers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    create = spec["paths"]["/api/v1/commuters"]["post"]["responses"]
    assert {"201", "401", "403", "404", "409", "413", "422"} <= set(create)
    assert client.get("/docs").status_code == 200


def test_oversized_request_is_refused_from_its_header(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/kiosk/verify",
        headers={
            **world.kiosk,
            "content-length": str(500 * 1024 * 1024),
            "content-type": "multipart/form-data; boundary=x",
        },
        content=b"--x--",
    )
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"


@pytest.mark.parametrize("secret", [None, "changethis", "short-but-not-placeholder"])
def test_production_refuses_a_placeholder_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="HETAO_SECRET_KEY"):
        Settings(environment="production", secret_key=secret)
    Settings(environment="production", secret_key="x" * 40)


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_commuters_registered_before_the_folded_name_are_found_in_either_script(tmp_path: object) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path}/folded.sqlite3"
    schema.upgrade(url=url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        organisation = Organisation(name="Lab", park=Park.HK)
        user = User(username="desk", password_hash="-", role=Role.ENROLLER, organisation=organisation)
        session.add_all([organisation, user])
        session.flush()
        session.add(
            Commuter(
                organisation_id=organisation.id,
                full_name="CHAN Tai Man",
                chinese_name="陳大文",
                document_type="passport",
                sealed_document_number=b"-",
                document_index="-",
                home_park=Park.HK,
                valid_until=date(2030, 1, 1),
                enrolled_by_id=user.id,
            )
        )
    # Back to before the column, then up again: the migration fills it for who is there.
    command.downgrade(schema.alembic_config(url=url), "7a1c3e5f9b20")
    schema.upgrade(url=url)
    with Session(engine) as session:
        assert session.scalars(select(Commuter.chinese_name_folded)).all() == ["陈大文"]
    engine.dispose()


def test_migration_downgrades_and_upgrades_cleanly(tmp_path: object) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path}/cycle.sqlite3"
    schema.upgrade(url=url)
    command.downgrade(schema.alembic_config(url=url), "base")
    engine = make_engine(url)
    with engine.connect() as connection:
        assert schema.current_revision(connection) is None
    schema.upgrade(url=url)
    assert schema.is_current(engine)
    engine.dispose()


def test_a_server_on_every_interface_is_linked_at_an_address_others_can_open() -> None:
    # The demo's links (a phone pass's) name where the server can be reached, never 0.0.0.0.
    assert reachable_address("127.0.0.1") == "127.0.0.1"
    outward = reachable_address("0.0.0.0")  # noqa: S104
    assert outward != "0.0.0.0" and ipaddress.ip_address(outward).version == 4  # noqa: S104
