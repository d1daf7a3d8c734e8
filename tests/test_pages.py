"""The web pages over HTTP: sign-in, roles, CSRF, languages, the officers' queue and the
commuter page. The browser tests (test_browser.py) drive the same pages in Chromium."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta
from html import unescape as html_unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from clearance.audit import service as audit
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import zone
from clearance.core.enums import AuditAction, Park
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db.actors import UserActor
from clearance.db.engine import session_scope
from clearance.db.models import AuditEvent, Commuter, Kiosk, User
from clearance.http import i18n
from clearance.http import pages as html
from tests.pages import sign_in
from tests.support import (
    API,
    DATA,
    World,
    enrol_active,
    frame_jpeg,
    post_commuter,
    table_counts,
    verify_frame,
)

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]
ROOT = Path(__file__).resolve().parent.parent


def test_sign_in_sets_a_secure_http_only_session_cookie_and_sends_officers_to_the_dashboard(
    page_client: TestClient, world: World
) -> None:
    assert (
        page_client.get("/dashboard", follow_redirects=False).headers["location"]
        == "/login?next=%2Fdashboard"
    )
    page_client.get("/login")
    response = page_client.post(
        "/login",
        data={
            "username": "officer",
            "password": "correct horse battery",
            "csrf_token": page_client.cookies["hetao_login"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("hetao_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    dashboard = page_client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Content-Security-Policy" in dashboard.headers
    assert "Live crossings" in dashboard.text


def test_a_wrong_password_or_a_missing_csrf_token_signs_nobody_in(
    page_client: TestClient, world: World
) -> None:
    page_client.get("/login")
    token = page_client.cookies["hetao_login"]
    wrong = page_client.post("/login", data={"username": "officer", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    forged = page_client.post(
        "/login", data={"username": "officer", "password": "correct horse battery"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "hetao_session" not in page_client.cookies


def test_signing_in_over_plain_http_on_a_lan_host_says_why_it_cannot_work(
    client: TestClient, world: World
) -> None:
    with TestClient(client.app, base_url="http://hetao-server.lan") as lan:
        form = lan.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        # The cookie is HTTPS-only, so the browser did not keep it: reloading would never help.
        answer = lan.post(
            "/login",
            data={"username": "officer", "password": "correct horse battery", "csrf_token": token[1]},
            follow_redirects=False,
        )
    assert answer.status_code == 403
    assert "over HTTPS only" in answer.text and "HETAO_COOKIE_SECURE=false" in answer.text
    assert "reload the page" not in answer.text


def test_pages_answer_each_role_as_the_api_does(page_client: TestClient, world: World) -> None:
    sign_in(page_client, "enroller_a")
    assert page_client.get("/commuters").status_code == 200
    assert page_client.get("/register").status_code == 200
    refused = page_client.get("/dashboard")
    assert refused.status_code == 403
    assert "this page needs the role officer" in refused.text
    assert page_client.get("/queue").status_code == 403
    assert page_client.get("/audit").status_code == 403


def test_a_form_without_the_session_csrf_token_changes_nothing(
    page_client: TestClient, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    commuter = post_commuter(client, world.enroller_a, world.org_a, A.enrolment_photo).json()
    sign_in(page_client, "officer")
    before = table_counts(sessions)
    refused = page_client.post(f"/commuters/{commuter['id']}/approve", data={"csrf_token": "stale"})
    assert refused.status_code == 403
    assert table_counts(sessions) == before
    with sessions() as session:
        assert session.get(Commuter, uuid.UUID(commuter["id"])).status.value == "pending"  # type: ignore[union-attr]


def test_the_language_is_remembered_for_the_user(
    page_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in(page_client, "officer")
    switched = page_client.post(
        "/language", data={"lang": "zh-Hant", "csrf_token": csrf, "next": "/queue"}, follow_redirects=True
    )
    assert switched.status_code == 200
    assert "轉介人工處理" in switched.text
    assert 'lang="zh-Hant-HK"' in switched.text
    with sessions() as session:
        assert session.scalar(select(User.language).where(User.username == "officer")) == "zh-Hant"
    # A new browser, with no language cookie, shows the user's language once they sign in.
    page_client.cookies.clear()
    sign_in(page_client, "officer")
    assert "待處理" in page_client.get("/queue").text
    # Before sign-in, the browser's preference decides.
    page_client.cookies.clear()
    assert "登录" in page_client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text


def test_a_browser_in_chinese_stays_in_chinese_after_sign_in(page_client: TestClient, world: World) -> None:
    page_client.headers["Accept-Language"] = "zh-CN,zh;q=0.9,en;q=0.5"
    assert "登录" in page_client.get("/login").text
    sign_in(page_client, "officer")
    assert "待处理" in page_client.get("/queue").text
    # Until the officer chooses, another browser shows theirs.
    page_client.headers["Accept-Language"] = "zh-HK"
    assert "待處理" in page_client.get("/queue").text


def test_enrollers_list_only_their_organisations_commuters(
    page_client: TestClient, client: TestClient, world: World
) -> None:
    number = "P87654321"
    post_commuter(
        client,
        world.enroller_a,
        world.org_a,
        A.enrolment_photo,
        full_name="Alice Org-A",
        document_number=number,
    )
    post_commuter(client, world.enroller_b, world.org_b, B.enrolment_photo, full_name="Bob Org-B")
    sign_in(page_client, "enroller_a")
    listing = page_client.get("/commuters").text
    assert "Alice Org-A" in listing
    assert "Bob Org-B" not in listing
    # Document numbers are masked in the list, whole on the person's page.
    assert number not in listing and f"{'•' * (len(number) - 4)}{number[-4:]}" in listing
    alice = re.search(r'<a href="(/commuters/[0-9a-f-]+)">Alice Org-A</a>', listing)
    assert alice is not None and number in page_client.get(alice.group(1)).text
    sign_in(page_client, "officer")
    found = page_client.get("/commuters", params={"q": "org-b"}).text
    assert "Bob Org-B" in found and "Alice Org-A" not in found


def test_the_reference_photo_is_shown_only_for_a_purpose_and_each_view_is_audited(
    page_client: TestClient, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    commuter, _credential = enrol_active(client, world, A)
    csrf = sign_in(page_client, "officer")
    page = page_client.get(f"/commuters/{commuter['id']}").text
    assert "data:image/jpeg" not in page
    no_purpose = page_client.post(f"/commuters/{commuter['id']}/photo", data={"csrf_token": csrf})
    assert "data:image/jpeg" not in no_purpose.text
    shown = page_client.post(
        f"/commuters/{commuter['id']}/photo", data={"csrf_token": csrf, "purpose": "referred_attempt"}
    )
    assert "data:image/jpeg;base64,/9j/" in shown.text
    with sessions() as session:
        views = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "view_reference_photo", AuditEvent.object_id == commuter["id"]
            )
        ).all()
        assert [(v.username, v.purpose, v.ip) for v in views] == [
            ("officer", "referred_attempt", "testclient")
        ]


def test_officers_approve_from_the_commuter_page_but_never_their_own_registration(
    page_client: TestClient, client: TestClient, world: World
) -> None:
    own = post_commuter(client, world.officer, world.org_a, A.enrolment_photo).json()
    other = post_commuter(client, world.enroller_a, world.org_a, B.enrolment_photo).json()
    csrf = sign_in(page_client, "officer")
    refused = page_client.post(f"/commuters/{own['id']}/approve", data={"csrf_token": csrf})
    assert "approved by someone other than who entered it" in refused.text
    approved = page_client.post(
        f"/commuters/{other['id']}/approve", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert 'id="status">active<' in approved.text
    suspended = page_client.post(
        f"/commuters/{other['id']}/suspend",
        data={"csrf_token": csrf, "reason": "left the company"},
        follow_redirects=True,
    )
    assert 'id="status">suspended<' in suspended.text
    assert (
        client.get(f"{API}/commuters/{other['id']}", headers=world.officer.headers).json()["status"]
        == "suspended"
    )


def test_officers_approve_pending_registrations_in_bulk_from_the_queue_four_eyes_holding(
    page_client: TestClient, client: TestClient, world: World
) -> None:
    own = post_commuter(client, world.officer, world.org_a, A.enrolment_photo).json()
    first = post_commuter(client, world.enroller_a, world.org_a, B.enrolment_photo).json()
    second = post_commuter(client, world.enroller_a, world.org_a, A.enrolment_photo).json()
    third = post_commuter(client, world.enroller_a, world.org_a, B.enrolment_photo).json()
    csrf = sign_in(page_client, "officer")
    queue = page_client.get("/queue")
    for commuter in (own, first, second, third):
        assert f'value="{commuter["id"]}"' in queue.text
    # Nothing can be ticked before its photos were compared; their own registration never.
    for commuter in (own, first, second, third):
        assert re.search(rf'value="{commuter["id"]}"[^>]*disabled', queue.text)
    for commuter in (first, second, own):
        assert page_client.get(f"/queue/registrations/{commuter['id']}").status_code == 200
    queue = page_client.get("/queue")
    for commuter in (first, second):
        assert not re.search(rf'value="{commuter["id"]}"[^>]*disabled', queue.text)
    assert re.search(rf'value="{own["id"]}"[^>]*disabled', queue.text)
    # Sent anyway, their own and one never opened are refused, and the rest approved.
    answer = page_client.post(
        "/queue/registrations/approve",
        data={"csrf_token": csrf, "commuter": [first["id"], second["id"], own["id"], third["id"]]},
    )
    assert "Approved: 2." in answer.text
    assert "approved by someone other than who entered it" in answer.text
    assert "open it and compare its photos first" in answer.text
    statuses = {
        c["id"]: client.get(f"{API}/commuters/{c['id']}", headers=world.officer.headers).json()["status"]
        for c in (own, first, second, third)
    }
    assert statuses == {
        own["id"]: "pending",
        first["id"]: "active",
        second["id"]: "active",
        third["id"]: "pending",
    }
    # Enrollers have no queue.
    enroller = sign_in(page_client, "enroller_a")
    refused = page_client.post(
        "/queue/registrations/approve", data={"csrf_token": enroller, "commuter": [own["id"]]}
    )
    assert refused.status_code in (303, 403)


def test_an_officer_approves_with_the_photos_and_document_in_view_then_goes_on_to_the_next(
    page_client: TestClient, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first_id = post_commuter(
        client, world.enroller_a, world.org_a, A.enrolment_photo, full_name="First Evidence"
    ).json()["id"]
    added = client.post(
        f"{API}/commuters/{first_id}/photos",
        headers=world.enroller_a.headers,
        files={"photo": ("2.jpg", A.live_photo.read_bytes(), "image/jpeg")},
    )
    assert added.status_code == 200, added.text
    second_id = post_commuter(
        client, world.enroller_a, world.org_a, B.enrolment_photo, full_name="Second Evidence"
    ).json()["id"]
    sign_in(page_client, "officer")
    shown = page_client.get(f"/queue/registrations/{first_id}")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    page = shown.text
    # Every photo the template holds, the document in full, the organisation, who entered it.
    assert page.count('class="reference"') == 2
    assert re.search(r'<td id="document">Passport [A-Z0-9]+</td>', page), page
    assert "enroller_a" in re.search(r'<td id="registered-by">(.*?)</td>', page, re.S)[1]  # type: ignore[index]
    assert f'href="/queue/registrations/{second_id}" id="next"' in page
    with sessions() as session:
        seen = session.scalars(
            select(AuditEvent.purpose).where(
                AuditEvent.action == AuditAction.VIEW_REFERENCE_PHOTO.value, AuditEvent.object_id == first_id
            )
        ).all()
    assert seen == ["approval"]
    # Approve: recorded, and on to the next registration.
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]
    approved = page_client.post(
        f"/queue/registrations/{first_id}/approve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert approved.status_code == 303 and approved.headers["location"] == f"/queue/registrations/{second_id}"
    assert "Approved: First Evidence." in page_client.get(approved.headers["location"]).text
    status = client.get(f"{API}/commuters/{first_id}", headers=world.officer.headers).json()["status"]
    assert status == "active"
    # An approved registration has no evidence page to approve it again.
    again = page_client.get(f"/queue/registrations/{first_id}")
    assert "not waiting for approval" in again.text


def test_the_audit_page_names_actions_and_objects_in_the_viewers_language(
    page_client: TestClient, client: TestClient, world: World
) -> None:
    commuter, _credential = enrol_active(client, world, A)
    csrf = sign_in(page_client, "officer")
    page = page_client.get("/audit", params={"action": "approve_commuter"}).text
    assert "approved a registration" in page and "approve_commuter</td>" not in page
    assert f'<a href="/commuters/{commuter["id"]}">{A.label}</a>' in page
    page = page_client.get("/audit", params={"object_id": commuter["id"]}).text
    assert "registered a commuter" in page and "issued a credential" in page
    page_client.post("/language", data={"lang": "zh-Hant", "csrf_token": csrf, "next": "/audit"})
    page = page_client.get("/audit", params={"action": "approve_commuter"}).text
    assert "批准登記" in page and "關員" in page


def test_the_audit_trail_is_searched_by_name_and_days_a_page_at_a_time_and_taken_away(
    page_client: TestClient, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    registered = post_commuter(
        client, world.enroller_a, world.org_a, A.enrolment_photo, full_name=A.label, chinese_name="陳大文"
    )
    assert registered.status_code == 201, registered.text
    commuter_id = registered.json()["id"]
    with session_scope(sessions) as session:
        officer = session.get(User, world.officer.user_id)
        assert officer is not None
        for _ in range(120):
            audit.record_event(
                session,
                actor=UserActor(officer),
                action=AuditAction.SUSPEND_COMMUTER,
                object_type="commuter",
                object_id=commuter_id,
                detail='=HYPERLINK("http://attacker.example")',
            )
    about = 121  # the registration and the 120 above
    sign_in(page_client, "officer")

    def rows(page: str) -> int:
        return page.count("<tr data-action=")

    # By the name in the other script (陈大文 finds 陳大文), a hundred to a page.
    first = page_client.get("/audit", params={"about": "陈大文"})
    assert first.status_code == 200
    assert rows(first.text) == 100 and 'rel="next"' in first.text and 'rel="prev"' not in first.text
    older = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert older is not None
    second = page_client.get(html_unescape(older.group(1)))
    assert (
        rows(second.text) == about - 100 and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    )
    # A range of days that ends before today finds none of it; one that holds today finds it all.
    today = zone.local_today()
    before = page_client.get("/audit", params={"about": "陈大文", "until": str(today - timedelta(days=1))})
    assert rows(before.text) == 0 and "No event matches." in before.text
    around = page_client.get(
        "/audit", params={"about": A.label, "since": str(today), "until": str(today), "page": 2}
    )
    assert rows(around.text) == about - 100
    backwards = page_client.get(
        "/audit", params={"since": str(today), "until": str(today - timedelta(days=1))}
    )
    assert backwards.status_code == 422 and "the last day comes before the first" in backwards.text
    # The CSV holds every event the search finds, nothing a spreadsheet would run, and the
    # export is itself in the trail.
    exported = page_client.get("/audit.csv", params={"about": "陈大文"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text)))
    assert table[0][:4] == ["at", "username", "role", "action"] and len(table) == 1 + about
    assert {row[6] for row in table[1:]} == {f"陳大文 {A.label}"}
    assert table[1][8] == '\'=HYPERLINK("http://attacker.example")'
    with sessions() as session:
        export = session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT_AUDIT)
        ).one()
        assert (export.username, export.detail) == ("officer", f"{about} events")


def test_registering_through_the_form_checks_the_photo_and_says_how_to_fix_it(
    page_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in(page_client, "enroller_a")
    no_face = (DATA / "no_face_3.jpg").read_bytes()
    check = page_client.post(
        "/register/check-photo",
        files={"photo": ("p.jpg", no_face, "image/jpeg")},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert check["ok"] is False
    assert check["check"] == "no_face"
    assert "from the front" in check["advice"]
    fields = {
        "csrf_token": csrf,
        "full_name": "Form Person",
        "document_type": "passport",
        "document_number": "F1234567",
        "organisation_id": str(world.org_a),
        "home_park": "hk",
        "valid_until": (utcnow() + timedelta(days=100)).date().isoformat(),
    }
    before = table_counts(sessions)
    refused = page_client.post("/register", data=fields, files={"photo": ("p.jpg", no_face, "image/jpeg")})
    assert refused.status_code == 422
    assert "no face was found" in refused.text
    assert 'value="Form Person"' in refused.text  # what was typed is kept
    assert table_counts(sessions) == before
    good = page_client.post(
        "/register", data=fields, files={"photo": ("p.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")}
    )
    assert good.status_code == 200
    assert "Form Person" in good.text and 'id="status">pending<' in good.text


def test_every_action_the_trail_records_is_one_the_audit_page_names() -> None:
    # Actions are one enum (record_event takes nothing else, the type checker sees to it); each
    # has a label in every language, and the audit page offers each to search by.
    assert len(AuditAction) > 40
    assert all(action.value in i18n.ENGLISH for action in AuditAction)


def test_every_text_on_the_pages_has_both_chinese_translations() -> None:
    used: set[str] = set()
    sources = [*ROOT.glob("clearance/http/templates/*.html"), *ROOT.glob("enrolment/templates/*.html")]
    sources += [
        *ROOT.glob("clearance/*/pages.py"),
        ROOT / "enrolment/pages.py",
        ROOT / "enrolment/pass_pages.py",
        ROOT / "clearance/dashboard/chart.py",
    ]
    for path in sources:
        text = path.read_text()
        used.update(re.findall(r"""(?:_|translate)\(\s*"([^"]+)"\s*[,)]""", text))
        used.update(re.findall(r"""(?:_|translate)\(\s*'([^']+)'\s*[,)]""", text))
    from clearance.audit.service import PURPOSES
    from clearance.core.enums import (
        AlertKind,
        Bridge,
        CommuterStatus,
        CredentialKind,
        Decision,
        Direction,
        DocumentType,
        ImportStatus,
        Role,
    )
    from clearance.core.reasons import Reason
    from clearance.http.errors import ERROR_TITLES
    from enrolment.pages import PHOTO_ADVICE

    used.update(PHOTO_ADVICE.values())
    used.update(PHOTO_ADVICE.keys())
    used.update(ERROR_TITLES.values())
    used.add("Something went wrong")
    for enum in (
        AlertKind,
        CommuterStatus,
        CredentialKind,
        Decision,
        Direction,
        ImportStatus,
        Reason,
        DocumentType,
        Park,
        Bridge,
        Role,
    ):
        used.update(member.value for member in enum)
    used.update(PURPOSES)
    used.update(AuditAction)
    used.update(("kiosk", "operator", "system", "commuter"))  # the roles of actors that are not staff
    assert len(used) > 150
    missing = sorted(text for text in used if text not in i18n.MESSAGES)
    assert missing == []
    assert all(zh_hant and zh_hans for zh_hant, zh_hans in i18n.MESSAGES.values())


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("zh-HK,zh;q=0.9", "zh-Hant"),
        ("zh-TW", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("fr, en;q=0.5", "en"),
        ("", "en"),
    ],
)
def test_browser_languages_map_to_the_script_people_read(header: str, language: str) -> None:
    assert i18n.from_accept_language(header) == language


def test_the_next_page_after_sign_in_never_leaves_the_site() -> None:
    assert html.safe_next("/commuters?q=a") == "/commuters?q=a"
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example", ""):
        assert html.safe_next(hostile) == "/"


def test_staff_issue_a_credential_from_the_commuter_page_and_print_its_card(
    page_client: TestClient, client: TestClient, world: World
) -> None:
    commuter, _credential = enrol_active(client, world, A)
    csrf = sign_in(page_client, "enroller_a")
    page = page_client.post(
        f"/commuters/{commuter['id']}/credentials",
        data={"csrf_token": csrf, "kind": "static"},
        follow_redirects=True,
    )
    assert page.status_code == 200
    cards = re.findall(r'href="(/credentials/[0-9a-f-]+/card\.pdf)"', page.text)
    assert len(cards) == 2  # the one issued before, and the one from the form
    card = page_client.get(cards[0])
    assert card.headers["content-type"] == "application/pdf"
    assert card.content.startswith(b"%PDF")


def test_a_lost_card_is_replaced_and_a_lost_phone_revoked_from_the_commuter_page_with_a_reason(
    page_client: TestClient, client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    commuter, card = enrol_active(client, world, A)
    csrf = sign_in(page_client, "enroller_a")
    phone = client.post(
        f"{API}/commuters/{commuter['id']}/credentials",
        headers=world.enroller_a.headers,
        json={"kind": "dynamic"},
    ).json()
    # Without a reason nothing changes, and the page says what is missing.
    refused = page_client.post(f"/credentials/{card['id']}/replace", data={"csrf_token": csrf, "reason": " "})
    assert "Give a reason." in refused.text
    page = page_client.post(
        f"/credentials/{card['id']}/replace",
        data={"csrf_token": csrf, "reason": "lost card on the bridge"},
        follow_redirects=True,
    )
    assert page.status_code == 200
    page = page_client.post(
        f"/credentials/{phone['id']}/revoke",
        data={"csrf_token": csrf, "reason": "lost phone"},
        follow_redirects=True,
    )
    # Times carry their zone: officers and staff read UTC+8, the records are UTC.
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+8</td>", page.text)
    rows = re.findall(r"<tr><td>(.*?)</td>.*?<td>(valid|revoked|expired)</td>", page.text, flags=re.DOTALL)
    assert sorted(rows) == [
        ("dynamic (phone)", "revoked"),
        ("static (card)", "revoked"),
        ("static (card)", "valid"),
    ]
    credentials = client.get(
        f"{API}/commuters/{commuter['id']}/credentials", headers=world.enroller_a.headers
    ).json()
    (new_card,) = [c for c in credentials if c["revoked_at"] is None]
    assert new_card["kind"] == "static" and new_card["id"] != card["id"]
    # The kiosk clears the new card and refuses the lost one.
    assert (
        verify_frame(client, world, frame_jpeg(A.live_photo, new_card["payload"])).json()["decision"]
        == "cleared"
    )
    lost = verify_frame(client, world, frame_jpeg(A.live_photo, card["payload"])).json()
    assert lost["decision"] == "rejected" and "revoked" in lost["reasons"], lost
    with sessions() as session:
        details = set(
            session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "revoke_credential"))
        )
    assert f"credential {card['id']}: replaced: lost card on the bridge" in details
    assert f"credential {phone['id']}: lost phone" in details


def test_pages_and_the_api_page_load_nothing_from_elsewhere(page_client: TestClient, world: World) -> None:
    sign_in(page_client, "officer")
    for path in ("/dashboard", "/queue", "/commuters", "/register", "/docs"):
        html = page_client.get(path).text
        sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(
            r"""Url: ?['"]([^'"]+)['"]""", html
        )
        assert sources, path
        for source in sources:
            assert not source.startswith(("http:", "https:", "//")), (path, source)
            if source.startswith("/static/"):
                assert page_client.get(source).status_code == 200, source


def test_a_form_says_what_it_did_once_after_its_redirect_and_a_reload_sends_nothing_again(
    page_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in(page_client, "admin")
    created = page_client.post(
        "/admin/kiosks",
        data={
            "csrf_token": csrf,
            "checkpoint": str(world.checkpoint_id),
            "name": "Lane 9",
            "direction": "to_sz",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/admin"
    shown = page_client.get("/admin")
    key = re.search(r'<code id="shown-once">(hk_[^<]+)</code>', shown.text)
    assert key and "Lane 9" in shown.text  # the new key, on the page the form led to
    # Reloading that page shows the key no more and makes no other kiosk.
    again = page_client.get("/admin")
    assert key[1] not in again.text and 'id="shown-once"' not in again.text
    with sessions() as session:
        assert len(session.scalars(select(Kiosk).where(Kiosk.name == "Lane 9")).all()) == 1
    # What the redirect leaves to say is sealed at rest (a new key is a secret).
    with sessions() as session:
        rows = session.execute(text("SELECT flash FROM web_sessions")).scalars().all()
    assert all(row is None or b"hk_" not in row for row in rows)


def test_the_admin_page_shows_a_kiosk_that_stopped_calling_as_silent_not_active(
    page_client: TestClient, world: World, sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions() as session, session.begin():
        kiosk = session.get(Kiosk, world.kiosk_id)
        assert kiosk is not None
        kiosk.last_seen_at = utcnow() - timedelta(minutes=settings.kiosk_silent_minutes + 8, seconds=10)
        name = f"{kiosk.checkpoint.name}/{kiosk.name}"
    sign_in(page_client, "admin")
    row = re.search(rf'<tr data-kiosk="{re.escape(name)}">(.*?)</tr>', page_client.get("/admin").text, re.S)
    assert row, name
    state = re.search(r'<td class="kiosk-state"[^>]*>(.*?)</td>', row[1], re.S)
    assert state and f"silent for {settings.kiosk_silent_minutes + 8} min" in state[1], row[1]
    # Once it calls again it is online.
    with sessions() as session, session.begin():
        kiosk = session.get(Kiosk, world.kiosk_id)
        assert kiosk is not None
        kiosk.last_seen_at = utcnow()
    row = re.search(rf'<tr data-kiosk="{re.escape(name)}">(.*?)</tr>', page_client.get("/admin").text, re.S)
    assert row and re.search(r'<td class="kiosk-state"[^>]*>online</td>', row[1]), row
