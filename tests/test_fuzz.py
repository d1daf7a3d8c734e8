"""Bad input on a live server: schemathesis generates requests from the project's own OpenAPI
schema (valid and invalid ones), as each route's own kind of caller. No request may end in a
server error, and every error answers in the contract's ``{"error", "detail"}`` shape.

Bounded (EXAMPLES per operation) so that it finishes in a few minutes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.live import LiveServer, running_servers
from tests.support import API, World

EXAMPLES = 40


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_servers(tmp_path_factory.mktemp("fuzz"), "fuzz") as (server,):
        yield server


@pytest.fixture(scope="module")
def caller_headers(live_api: LiveServer) -> dict[str, dict[str, str]]:
    return {
        "kiosk": {"Authorization": f"Bearer {live_api.kiosks['east_to_hk']}"},
        "officer": live_api.headers("officer"),
        "enroller": live_api.headers("enroller"),
    }


def headers_for(path: str, callers: dict[str, dict[str, str]]) -> dict[str, str]:
    if path.startswith(f"{API}/kiosk/"):
        return callers["kiosk"]
    if path.startswith((f"{API}/commuters", f"{API}/credentials", f"{API}/imports")):
        return callers["enroller"]
    return callers["officer"]


@pytest.mark.slow
def test_no_input_makes_a_server_error_and_every_error_has_the_contract_shape(
    live_api: LiveServer, caller_headers: dict[str, dict[str, str]]
) -> None:
    # An event stream never ends; the browser tests read it.
    loaded = schemathesis.openapi.from_url(f"{live_api.url}/openapi.json").exclude(path=f"{API}/events")
    problems: list[str] = []
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers_for(case.path, caller_headers), timeout=60)
            where = f"{case.method} {case.formatted_path}: {response.status_code}"
            if response.status_code >= 500:
                problems.append(f"{where} {response.text[:200]}")
            elif response.status_code >= 400:
                body = response.json()
                if not (isinstance(body.get("error"), str) and isinstance(body.get("detail"), str)):
                    problems.append(f"{where} {body}")

        call()
    assert problems == []


def test_a_nul_character_is_bad_input_not_a_server_error(client: TestClient, world: World) -> None:
    # PostgreSQL's text cannot hold NUL: there it is refused as bad input; SQLite stores it.
    search = client.get(f"{API}/commuters", params={"q": "a\x00b"}, headers=world.officer.headers)
    created = client.post(
        f"{API}/organisations", json={"name": "x\x00y", "park": "hk"}, headers=world.admin.headers
    )
    for response in (search, created):
        assert response.status_code < 500
        if response.status_code >= 400:
            assert response.json() == {
                "error": "InvalidInput",
                "detail": "text may not contain NUL (0x00) characters",
            }
