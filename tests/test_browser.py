"""The pages in a real browser (Debian's Chromium, driven by Playwright) against real servers:
the officers' live view, queue and commuter page; registration and bulk import by staff; and,
on PostgreSQL, a crossing recorded through one server process shown by another.

Screenshots go to test-output/screenshots (or $HETAO_TEST_OUTPUT/screenshots).
"""

from __future__ import annotations

import csv as csv_module
import io
import itertools
import json
import os
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pypdf
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from clearance.cli.samples import IMPOSTOR_PHOTO, SAMPLE_COMMUTERS, SampleCommuter
from clearance.core.zone import ZONE_TIME, local_today, utcnow
from clearance.vision import qr
from tests.live import LiveServer, running_servers
from tests.support import API, DATA, PASSWORD, frame_jpeg, registration

A, B, C = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1], SAMPLE_COMMUTERS[2]
CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(os.environ.get("HETAO_TEST_OUTPUT", Path(__file__).resolve().parent.parent / "test-output"))
# Generous: the machines are shared. The live view's own latency is measured in bench/live_view.py.
SHOWN_WITHIN_MS = 5000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("HETAO_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here: apt-get install -y chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                # A camera for the registration form: Chromium's built-in test pattern.
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with running_servers(tmp_path, "web_" + request.node.name.replace("test_", "")[:20]) as (server,):
        yield server


def screenshot(page: Page, name: str) -> Path:
    path = OUTPUT / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def signed_in_page(browser: Browser, server: LiveServer, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server.url}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("header.top .who")).to_contain_text(username)
    return page


def fields_past_their_card(page: Page) -> list[str]:
    """The form fields (and photo previews) whose right edge runs past their card's."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll(".card input, .card select, .card img, .card video")]
            .filter((field) => field.offsetParent !== null && field.type !== "hidden")
            .filter((field) => field.getBoundingClientRect().right
                > field.closest(".card").getBoundingClientRect().right - 1)
            .map((field) => field.name || field.id || field.tagName)"""
    )
    return found


def verify(server: LiveServer, kiosk: str, sample: SampleCommuter, payload: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}{API}/kiosk/verify",
        headers={"Authorization": f"Bearer {server.kiosks[kiosk]}"},
        files={"frame": ("frame.jpg", frame_jpeg(sample.live_photo, payload), "image/jpeg")},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_officer_sees_crossings_live_overrides_a_referral_and_the_view_survives_a_restart(
    live: LiveServer, browser: Browser
) -> None:
    commuter_a, credential_a = live.enrol_active(A)
    _commuter_b, credential_b = live.enrol_active(B)
    page = signed_in_page(browser, live, "officer")
    page.goto(f"{live.url}/dashboard")
    expect(page.locator("#live-state.up")).to_be_visible()

    started = time.monotonic()
    result = verify(live, "east_to_hk", A, credential_a["payload"])
    row = page.locator(f"#crossing-{result['crossing_id']}")
    expect(row).to_be_visible(timeout=SHOWN_WITHIN_MS)
    print(f"verify answered to row shown: {(time.monotonic() - started) * 1000:.0f} ms")
    expect(row).to_contain_text(A.label)
    expect(row).to_contain_text("cleared")
    expect(page.locator("[data-park=hk]")).to_have_text("1", timeout=SHOWN_WITHIN_MS)

    # A kiosk that was offline delivers an attempt it referred: it stands out, and lands in the queue.
    referred = str(uuid.uuid4())
    delivered = live.signer("west_to_sz").deliver(
        httpx,
        live.url,
        [
            {
                "id": referred,
                "decided_at": utcnow().isoformat(),
                "decision": "refer",
                "reasons": ["face_uncertain"],
                "commuter_id": commuter_a["id"],
                "credential_id": credential_a["id"],
                "distance": 0.6,
            }
        ],
    )
    assert delivered.json()["results"][0]["status"] == "created"
    expect(page.locator(f"#crossing-{referred}.decision-refer")).to_be_visible(timeout=SHOWN_WITHIN_MS)
    screenshot(page, "live-view")

    page.goto(f"{live.url}/queue")
    item = page.locator(f"#refer-{referred}")
    # Nothing is chosen for the officer: the form cannot be sent until they choose.
    expect(item.locator("select[name=decision]")).to_have_value("")
    assert item.locator("select[name=decision]").evaluate("select => select.validity.valueMissing")
    item.locator("select[name=decision]").select_option("cleared")
    item.locator("input[name=reason]").fill("Passport checked at the desk")
    item.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Decision recorded")
    expect(page.locator(f"#refer-{referred}")).to_have_count(0)
    overridden = [c for c in live.crossings() if c["id"] == referred]
    assert overridden and overridden[0]["decision"] == "refer"
    presence = httpx.get(
        f"{live.url}{API}/kiosk/presence/{commuter_a['id']}",
        headers={"Authorization": f"Bearer {live.kiosks['west_to_sz']}"},
    ).json()
    assert presence["last_side"] == "sz"

    # The commuter's page: a manual check of the reference photo, recorded with its purpose.
    page.goto(f"{live.url}/commuters/{commuter_a['id']}")
    page.select_option("select[name=purpose]", "referred_attempt")
    page.click("text=Show the reference photo")
    expect(page.locator("img.reference")).to_be_visible()
    expect(page.locator(f"#crossing-{referred}")).to_contain_text("Passport checked at the desk")
    screenshot(page, "commuter-page")
    # The audit trail says who saw the photo and why, in words and names, not codes and ids.
    page.goto(f"{live.url}/audit?action=view_reference_photo")
    expect(page.locator("#audit-events tbody tr").first).to_contain_text("viewed a reference photo")
    expect(page.locator("#audit-events tbody tr").first).to_contain_text(A.label)
    screenshot(page, "audit-page")
    pages = ("queue", "audit", "commuters", "dashboard", f"commuters/{commuter_a['id']}")
    for (screen, wide, high), name in itertools.product((("phone", 390, 844), ("tablet", 768, 1024)), pages):
        small = browser.new_page(viewport={"width": wide, "height": high})
        small.context.add_cookies(page.context.cookies())
        small.goto(f"{live.url}/{name}")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= wide, f"/{name} is {width} px wide on a {wide} px {screen}"
        screenshot(small, f"{name}-{screen}" if "/" not in name else f"commuter-page-{screen}")
        small.close()

    # The server dies and comes back: the open page reconnects by itself and goes on showing crossings.
    page.goto(f"{live.url}/dashboard")
    expect(page.locator("#live-state.up")).to_be_visible()
    live.kill()
    expect(page.locator("#live-state.up")).to_have_count(0, timeout=SHOWN_WITHIN_MS)
    live.start()
    expect(page.locator("#live-state.up")).to_be_visible(timeout=15000)
    after_restart = verify(live, "east_to_hk", B, credential_b["payload"])
    expect(page.locator(f"#crossing-{after_restart['crossing_id']}")).to_contain_text(
        B.label, timeout=SHOWN_WITHIN_MS
    )


def test_staff_register_with_a_photo_checked_at_once_and_see_why_a_photo_fails(
    live: LiveServer, browser: Browser
) -> None:
    page = signed_in_page(browser, live, "enroller")
    page.goto(f"{live.url}/register")
    # No field runs past its card, on a desktop or on a phone (a long document type did).
    for width, height in ((1400, 1000), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert fields_past_their_card(page) == [], width
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.set_input_files("#photo", str(DATA / "no_face_3.jpg"))
    result = page.locator("#photo-result.failed")
    expect(result).to_contain_text("no face found")
    expect(result).to_contain_text("from the front")
    screenshot(page, "register-no-face")

    # A photo taken with the camera goes through the same checks (the test camera shows no face).
    page.click("#camera-start")
    expect(page.locator("#camera")).to_be_visible()
    expect(page.locator("#camera-take")).to_be_visible()  # once the camera delivers pictures
    page.click("#camera-take")
    page.wait_for_function("() => document.querySelector('#photo').files[0]?.name === 'camera.jpg'")
    expect(page.locator("#photo-result.failed")).to_contain_text("no face found")
    expect(page.locator("#camera")).to_be_hidden()

    page.fill("input[name=full_name]", "Browser Registered")
    page.fill("input[name=chinese_name]", "陳瀏覽")
    page.fill("input[name=document_number]", "BR123456")
    page.select_option("select[name=home_park]", "sz")
    page.set_input_files("#photo", str(C.enrolment_photo))
    expect(page.locator("#photo-result.ok")).to_contain_text("passes every check")
    # The second photo is checked the moment it is chosen too, beside it.
    page.set_input_files("#photo-2", str(DATA / "no_face_3.jpg"))
    expect(page.locator("#photo-2-result.failed")).to_contain_text("no face found")
    page.set_input_files("#photo-2", str(C.live_photo))
    expect(page.locator("#photo-2-result.ok")).to_contain_text("passes every check")
    expect(page.locator("#preview-2")).to_be_visible()
    screenshot(page, "register-two-photos-checked")
    # A mistake elsewhere in the form is refused, and the chosen photo stays chosen.
    page.fill("input[name=document_number]", "BR")
    page.click("form#register button[type=submit]")
    expect(page.locator("main > p.problem")).to_contain_text("document_number")
    assert page.evaluate("document.querySelector('#photo').files.length") == 1
    expect(page.locator("input[name=full_name]")).to_have_value("Browser Registered")
    page.fill("input[name=document_number]", "BR123456")
    page.click("form#register button[type=submit]")
    expect(page.locator("h1")).to_contain_text("陳瀏覽 Browser Registered")
    expect(page.locator("#status")).to_have_text("pending")
    # The page says what happens next.
    expect(page.locator("p.notice")).to_contain_text("an officer other than you approves it")
    # An officer approves; the staff issue a card from the page, and the PDF carries the name in
    # Chinese characters as text (read back here), not as boxes.
    commuter_id = page.url.split("/commuters/", 1)[1].split("?", 1)[0]
    approved = httpx.post(f"{live.url}{API}/commuters/{commuter_id}/approve", headers=live.headers("officer"))
    assert approved.status_code == 200, approved.text
    page.goto(f"{live.url}/commuters/{commuter_id}")
    page.select_option("select[name=kind]", "static")
    page.locator("form[action$='/credentials'] button[type=submit]").click()
    screenshot(page, "commuter-chinese-name")
    # The links as the browser follows them, with its session (a PDF opens in the browser's viewer).
    pdf_link = page.get_by_role("link", name="Card (PDF)").get_attribute("href")
    card_pdf = page.request.get(f"{live.url}{pdf_link}")
    assert card_pdf.ok and card_pdf.headers["content-type"] == "application/pdf"
    printed = pypdf.PdfReader(io.BytesIO(card_pdf.body())).pages[0].extract_text()
    assert "陳瀏覽" in printed and "Browser Registered" in printed
    png_link = page.get_by_role("link", name="Card (PNG)").get_attribute("href")
    card_png = page.request.get(f"{live.url}{png_link}")
    assert card_png.ok
    (OUTPUT / "cards").mkdir(parents=True, exist_ok=True)
    (OUTPUT / "cards" / "browser-chinese-name.png").write_bytes(card_png.body())

    # Submitting a photo with no face anyway is refused by the server too, and nothing is stored.
    page.goto(f"{live.url}/register")
    page.fill("input[name=full_name]", "No Face Person")
    page.fill("input[name=document_number]", "NF123456")
    page.set_input_files("#photo", str(DATA / "no_face_3.jpg"))
    expect(page.locator("#photo-result.failed")).to_be_visible()
    page.click("form#register button[type=submit]")
    expect(page.locator("#photo-result.failed")).to_contain_text("no face was found")
    page.goto(f"{live.url}/commuters")
    expect(page.locator("table")).to_contain_text("Browser Registered")
    expect(page.locator("table")).not_to_contain_text("No Face Person")


def test_a_bulk_import_with_one_bad_row_enrols_the_rest_and_reports_it(
    live: LiveServer, browser: Browser
) -> None:
    valid = (utcnow() + timedelta(days=200)).date().isoformat()
    csv = (
        "full_name,document_type,document_number,home_park,valid_until,photo\n"
        f"Imported One,passport,IM100001,hk,{valid},one.jpg\n"
        f"Imported Bad,passport,IM100002,hk,{valid},group.jpg\n"
        f"Imported Two,passport,IM100003,sz,{valid},two.jpg\n"
        f"Imported Park,passport,IM100004,Hong Kong Park,{valid},one.jpg\n"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as photos:
        photos.writestr("one.jpg", A.enrolment_photo.read_bytes())
        photos.writestr("two.jpg", B.enrolment_photo.read_bytes())
        photos.writestr("group.jpg", (DATA / "multi_face_4.jpg").read_bytes())
    folder = OUTPUT / "import"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "commuters.csv").write_text(csv)
    (folder / "photos.zip").write_bytes(archive.getvalue())

    page = signed_in_page(browser, live, "enroller")
    page.goto(f"{live.url}/imports/new")
    for width, height in ((1400, 1000), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert fields_past_their_card(page) == [], width
    page.set_viewport_size({"width": 1400, "height": 1000})
    # The page says what each column takes, and offers a template that an import reads as it is.
    expect(page.locator("#import-columns")).to_contain_text("home_park")
    expect(page.locator("#import-columns")).to_contain_text("hk (Hong Kong Park)")
    with page.expect_download() as template:
        page.click("#import-template")
    header = Path(template.value.path()).read_text().splitlines()[0]
    assert (
        header == "full_name,chinese_name,document_type,document_number,home_park,valid_until,photo,face_only"
    )
    screenshot(page, "bulk-import-form")
    page.set_input_files("input[name=csv]", str(folder / "commuters.csv"))
    page.set_input_files("input[name=photos]", str(folder / "photos.zip"))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("[data-field=status]")).to_have_text("done", timeout=60000)
    expect(page.locator("[data-field=enrolled]")).to_have_text("2")
    expect(page.locator("[data-field=failed]")).to_have_text("2")
    failed = page.locator("#import-rows tr.failed")
    expect(failed).to_have_count(2)
    expect(failed.first).to_contain_text("Imported Bad")
    expect(failed.first).to_contain_text("faces were found")
    expect(failed.last).to_contain_text("use one of hk, sz")
    screenshot(page, "bulk-import")
    with page.expect_download() as failed_rows:
        page.click("#failed-rows")
    # The failed rows come back as uploaded, each with its line, field and reason after it...
    rows = list(csv_module.reader(Path(failed_rows.value.path()).read_text().splitlines()))
    uploaded = list(csv_module.reader(csv.splitlines()))
    assert rows[0] == [*uploaded[0], "line", "field", "reason"]
    assert [row[:6] for row in rows[1:]] == [uploaded[2], uploaded[4]]
    assert [(row[6], row[7]) for row in rows[1:]] == [("3", "photo"), ("5", "home_park")]
    assert "use one of hk, sz" in rows[2][8]
    # ...so the staff fix them in that file and import it again as it is, with the same photos.
    rows[1][5] = "two.jpg"  # another photo for the first (of the person, not a group)
    rows[1][0], rows[1][2] = "Imported Fixed", "IM100005"
    rows[2][3] = "hk"
    fixed = io.StringIO()
    csv_module.writer(fixed, lineterminator="\n").writerows(rows)
    (folder / "fixed.csv").write_text(fixed.getvalue())
    page.goto(f"{live.url}/imports/new")
    page.set_input_files("input[name=csv]", str(folder / "fixed.csv"))
    page.set_input_files("input[name=photos]", str(folder / "photos.zip"))
    page.click("#import-form button[type=submit]")
    expect(page.locator("[data-field=status]")).to_have_text("done", timeout=60000)
    expect(page.locator("[data-field=enrolled]")).to_have_text("2")
    expect(page.locator("[data-field=failed]")).to_have_text("0")
    page.goto(f"{live.url}/imports/new")
    expect(page.locator("#past-imports tbody tr")).to_have_count(2)
    expect(page.locator("#past-imports")).to_contain_text("commuters.csv")
    expect(page.locator("#past-imports")).to_contain_text("fixed.csv")


@pytest.mark.skipif(
    not os.environ.get("HETAO_TEST_DATABASE_URL"), reason="several server processes need PostgreSQL"
)
def test_a_crossing_recorded_through_one_server_process_appears_on_a_page_served_by_another(
    tmp_path: Path, browser: Browser
) -> None:
    with running_servers(tmp_path, "web_two_processes", processes=2) as (first, second):
        _commuter, credential = first.enrol_active(A)
        page = signed_in_page(browser, second, "officer")
        page.goto(f"{second.url}/dashboard")
        expect(page.locator("#live-state.up")).to_be_visible()
        result = verify(first, "east_to_hk", A, credential["payload"])
        expect(page.locator(f"#crossing-{result['crossing_id']}")).to_contain_text(
            A.label, timeout=SHOWN_WITHIN_MS
        )


def test_an_administrator_switches_off_a_stolen_kiosk_and_a_leaver_from_the_admin_page(
    live: LiveServer, browser: Browser
) -> None:
    key = live.kiosks["east_to_hk"]

    def whitelist(api_key: str) -> int:
        return httpx.get(
            f"{live.url}{API}/kiosk/whitelist",
            params={"since": 0},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        ).status_code

    enroller = live.headers("enroller")
    page = signed_in_page(browser, live, "admin")
    page.goto(f"{live.url}/admin")
    row = page.locator("#kiosks tr[data-kiosk='East/east_to_hk']")
    row.locator("input[name=reason]").fill("stolen from the bridge")
    row.get_by_role("button", name="Disable").click()
    expect(page.locator("p.notice")).to_contain_text("East/east_to_hk is disabled")
    expect(page.locator("#kiosks tr[data-kiosk='East/east_to_hk']")).to_contain_text("disabled")
    assert whitelist(key) == 401
    # A new key cuts a running kiosk off: the page asks first, and "no" changes nothing.
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#kiosks tr[data-kiosk='East/east_to_hk']").get_by_role("button", name="New key").click()
    assert asked and "east_to_hk" in asked[0] and "cut off" in asked[0], asked
    assert page.locator("#shown-once").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#kiosks tr[data-kiosk='East/east_to_hk']").get_by_role("button", name="New key").click()
    new_key = page.locator("#shown-once").inner_text()
    assert new_key.startswith("hk_") and new_key != key
    # Beside it, the command that starts the kiosk with it, ready to copy.
    command = page.locator("#kiosk-command").inner_text()
    assert command == f"hetao kiosk --server {live.url} --key {new_key} --source 0"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("button[data-copy='kiosk-command']").click()
    expect(page.locator("button[data-copy='kiosk-command']")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == command
    page.locator("#kiosks tr[data-kiosk='East/east_to_hk']").get_by_role("button", name="Enable").click()
    expect(page.locator("p.notice")).to_contain_text("enabled again")
    assert whitelist(new_key) == 200 and whitelist(key) == 401
    assert page.locator("#shown-once").count() == 0  # the key is shown once, not again

    user_row = page.locator("#users tr[data-user='enroller']")
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    user_row.get_by_role("button", name="New password").click()
    assert "enroller" in asked[-1] and "signed out everywhere" in asked[-1], asked
    assert httpx.get(f"{live.url}{API}/commuters", headers=enroller, timeout=30).status_code == 200
    user_row.locator("input[name=reason]").fill("left the lab")
    user_row.get_by_role("button", name="Disable").click()
    expect(page.locator("p.notice")).to_contain_text("enroller is disabled")
    assert httpx.get(f"{live.url}{API}/commuters", headers=enroller, timeout=30).status_code == 401
    # An administrator cannot switch themselves off from the page: no buttons on their own row.
    assert page.locator("#users tr[data-user='admin'] button").count() == 0
    screenshot(page, "admin-page")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live.url}/admin")
    expect(phone.locator("#users")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the admin page is {width} px wide on a 390 px phone"
    # Every action is on the screen, not off to the right of a table that scrolls sideways.
    for action in (
        phone.locator("#kiosks tr[data-kiosk='East/east_to_hk']").get_by_role("button", name="New key"),
        phone.locator("#users tr[data-user='enroller']").get_by_role("button", name="New password"),
        phone.locator("#checkpoints tr").last.get_by_text("Edit"),
    ):
        # Where it is with nothing scrolled sideways (scrolling it into view would scroll its table).
        right = action.evaluate("element => element.getBoundingClientRect().right")
        assert right <= 390, f"an action ends {right:.0f} px from the left of a 390 px phone"
    screenshot(phone, "admin-page-phone")


def test_an_administrator_sets_up_a_bridge_and_its_staff_from_the_admin_page(
    live: LiveServer, browser: Browser
) -> None:
    page = signed_in_page(browser, live, "admin")
    page.goto(f"{live.url}/admin")
    form = page.locator("#new-organisation")
    form.locator("input[name=name]").fill("Hetao Quantum Lab")
    form.locator("select[name=park]").select_option("sz")
    form.get_by_role("button", name="Create").click()
    expect(page.locator("p.notice")).to_contain_text("Organisation Hetao Quantum Lab created.")
    expect(page.locator("#organisations tr[data-organisation='Hetao Quantum Lab']")).to_contain_text(
        "Shenzhen Park"
    )

    form = page.locator("#new-user")
    # The form starts at the least powerful role.
    expect(form.locator("select[name=role]")).to_have_value("enroller")
    form.locator("input[name=username]").fill("lab-staff")
    form.locator("select[name=role]").select_option("enroller")
    form.locator("select[name=organisation]").select_option(label="Hetao Quantum Lab")
    form.get_by_role("button", name="Create").click()
    password = page.locator("#shown-once").inner_text()
    token = httpx.post(
        f"{live.url}{API}/auth/token", data={"username": "lab-staff", "password": password}, timeout=30
    )
    assert token.status_code == 200, token.text
    # A mistake says why and keeps the page: an enroller needs an organisation.
    form = page.locator("#new-user")
    form.locator("input[name=username]").fill("no-org")
    form.locator("select[name=role]").select_option("enroller")
    form.get_by_role("button", name="Create").click()
    expect(page.locator("p.problem")).to_contain_text("must belong to an organisation")

    form = page.locator("#new-checkpoint")
    form.locator("input[name=name]").fill("North")
    form.locator("select[name=bridge]").select_option("east")
    form.get_by_role("button", name="Create").click()
    expect(page.locator("#checkpoints tr[data-checkpoint='North']")).to_contain_text("East footbridge")
    form = page.locator("#new-kiosk")
    form.locator("select[name=checkpoint]").select_option(label="North")
    form.locator("input[name=name]").fill("north-1")
    form.locator("select[name=direction]").select_option("to_sz")
    form.get_by_role("button", name="Create").click()
    key = page.locator("#shown-once").inner_text()
    whitelist = httpx.get(
        f"{live.url}{API}/kiosk/whitelist",
        params={"since": 0},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert whitelist.status_code == 200
    row = page.locator("#kiosks tr[data-kiosk='North/north-1']")
    row.locator("summary").click()
    row.locator("input[name=name]").fill("north-lane-1")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#kiosks tr[data-kiosk='North/north-lane-1']")).to_be_visible()

    row = page.locator("#users tr[data-user='lab-staff']")
    row.locator("summary").click()
    row.locator("select[name=role]").select_option("officer")
    row.locator("select[name=organisation]").select_option("")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#users tr[data-user='lab-staff']")).to_contain_text("officer")
    old_token = {"Authorization": f"Bearer {token.json()['access_token']}"}
    crossings = httpx.get(f"{live.url}{API}/crossings", headers=old_token, timeout=30)
    assert crossings.status_code == 401  # a role change signs the account out everywhere
    token = httpx.post(
        f"{live.url}{API}/auth/token", data={"username": "lab-staff", "password": password}, timeout=30
    )
    new_token = {"Authorization": f"Bearer {token.json()['access_token']}"}
    crossings = httpx.get(f"{live.url}{API}/crossings", headers=new_token, timeout=30)
    assert crossings.status_code == 200  # and the next sign-in carries the new role
    screenshot(page, "admin-page-setup")


def decoded_qr(png: bytes) -> list[str]:
    """The QR texts a camera would read from a screenshot."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return qr.decode_qr_texts(image)


def test_a_commuters_phone_pass_from_activation_to_a_lost_phone_with_the_network_off(
    live: LiveServer, browser: Browser
) -> None:
    commuter, _card = live.enrol_active(A)
    staff = signed_in_page(browser, live, "enroller")
    staff.goto(f"{live.url}/commuters/{commuter['id']}")
    staff.select_option("select[name=kind]", "dynamic")
    staff.locator("form[action$='/credentials'] button[type=submit]").click()
    expect(staff.locator("#activation")).to_be_visible()
    link = staff.locator("#activation-link").inner_text()
    assert link.startswith(f"{live.url}/pass/#")
    # The QR code staff hold up is the link itself.
    assert decoded_qr(staff.locator("img.activation-qr").screenshot()) == [link]
    screenshot(staff, "pass-activation-staff")
    staff.set_viewport_size({"width": 390, "height": 844})
    assert staff.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(staff, "pass-activation-staff-phone")
    staff.set_viewport_size({"width": 1400, "height": 1000})

    # The commuter's phone, in Traditional Chinese (its language), opens the link.
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-HK",
    )
    # The browser's storage API is watched (it is outside the project): the pass must ask the
    # browser to keep its storage, since its keys cannot be exported.
    phone_context.add_init_script(
        """(() => {
            window.persistAsked = 0;
            if (navigator.storage && navigator.storage.persist) {
                const persist = navigator.storage.persist.bind(navigator.storage);
                navigator.storage.persist = () => { window.persistAsked += 1; return persist(); };
            }
        })()"""
    )
    phone = phone_context.new_page()
    # The connection drops as the phone activates: it says so and tries again when asked.
    phone.route("**/api/v1/pass/activate", lambda route: route.abort())
    phone.goto(link)
    expect(phone.locator("#problem-text")).to_have_text("沒有網絡連線。請連接互聯網後再試。")
    phone.unroute("**/api/v1/pass/activate")
    phone.locator("#retry").click()
    code = phone.locator("#code")
    expect(code).to_have_attribute("data-code", re.compile(r"^HD1:"))
    assert "#" not in phone.url  # the token left the address bar and the history
    assert phone.evaluate("window.persistAsked") == 1, "the pass did not ask to keep its storage"
    expect(phone.locator(".instruction")).to_have_text("請向自助機鏡頭出示此二維碼。二維碼每 30 秒更新一次。")
    expect(phone.locator("#holder")).to_contain_text(A.label)
    # It says where the pass lives and what to do when it is gone, and how to keep it at hand.
    expect(phone.locator("[data-t=keep_pass]")).to_contain_text("登記櫃檯")
    expect(phone.locator("[data-t=add_home]")).to_contain_text("主畫面")
    screenshot(phone, "pass-phone")
    # Both keys are in the browser's store as WebCrypto keys that cannot be read back out.
    kept = phone.evaluate(
        """() => new Promise((resolve) => {
            indexedDB.open("hetao-pass").onsuccess = (event) => {
                const get = event.target.result.transaction("pass").objectStore("pass").get("current");
                get.onsuccess = () => Promise.all([get.result.key, get.result.proofKey].map(
                    (key) => crypto.subtle.exportKey("raw", key).then(
                        () => ({extractable: key.extractable, exported: true}),
                        () => ({extractable: key.extractable, exported: false})))).then(resolve);
            };
        })"""
    )
    assert kept == [{"extractable": False, "exported": False}] * 2
    shown = decoded_qr(code.screenshot())
    assert shown == [code.get_attribute("data-code")]
    assert verify(live, "east_to_hk", A, shown[0])["decision"] == "cleared"
    # The same link on another phone: used.
    other = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-GB"
    ).new_page()
    other.goto(link)
    expect(other.locator("#problem-text")).to_contain_text("already used on a phone")
    expect(other.locator("#code")).to_be_hidden()
    screenshot(other, "pass-link-used")

    # The crossing shows on the pass; then the network goes: the pass still opens and its code
    # still turns every 30 s, and the kiosk clears the new one.
    phone.reload()
    expect(phone.locator("#crossings")).to_contain_text("放行")
    # Installed: its service worker holds the page's files.
    assert phone.evaluate("navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)")
    phone_context.set_offline(True)
    phone.reload()
    expect(code).to_have_attribute("data-code", re.compile(r"^HD1:"))
    expect(phone.locator("#connection")).to_contain_text("離線")
    offline_code = code.get_attribute("data-code")
    assert offline_code is not None
    expect(code).not_to_have_attribute("data-code", offline_code, timeout=40_000)
    screenshot(phone, "pass-phone-offline")
    turned = decoded_qr(code.screenshot())
    assert turned == [code.get_attribute("data-code")] and turned[0] != shown[0]
    assert verify(live, "west_to_sz", A, turned[0])["decision"] == "cleared"
    phone_context.set_offline(False)

    # The commuter downloads the data held about them (in English now).
    phone.locator("button.language[data-language=en]").click()
    expect(phone.locator(".instruction")).to_have_text(
        "Show this code to the kiosk camera. It changes every 30 seconds."
    )
    # First as a page to read, in the pass's language; then as JSON for a machine.
    with phone.expect_download() as readable:
        phone.locator("#download").click()
    assert readable.value.suggested_filename == "hetao-my-data.html"
    page_text = Path(readable.value.path()).read_text(encoding="utf-8")
    assert "Your personal data" in page_text and A.label in page_text and "<table" in page_text
    expect(phone.locator("#download-status")).to_have_text("Downloaded.")
    with phone.expect_download() as download:
        phone.locator("#download-json").click()
    held = json.loads(Path(download.value.path()).read_text())
    assert held["registration"]["full_name"] == A.label
    assert [c["decision"] for c in held["crossings"]] == ["cleared", "cleared"]
    screenshot(phone, "pass-phone-en")
    phone.set_viewport_size({"width": 1280, "height": 900})
    screenshot(phone, "pass-desktop")
    phone.set_viewport_size({"width": 390, "height": 844})

    # The phone is lost: staff revoke its pass; the pass says so and shows no code.
    staff.goto(f"{live.url}/commuters/{commuter['id']}")
    row = staff.locator("#credentials tr", has_text="on a phone since")
    row.locator("input[name=reason]").fill("lost phone")
    row.locator("button.danger").click()
    expect(staff.locator("#credentials")).to_contain_text("revoked")
    phone.reload()
    expect(phone.locator("#ended-title")).to_have_text("This pass is revoked")
    expect(code).to_be_hidden()
    screenshot(phone, "pass-phone-revoked")
    # Nothing of the pass stays on the phone: no names, no organisation, neither key.
    left = phone.evaluate(
        """() => new Promise((resolve) => {
            indexedDB.open("hetao-pass").onsuccess = (event) => {
                const get = event.target.result.transaction("pass").objectStore("pass").get("current");
                get.onsuccess = () => resolve(get.result === undefined ? null : Object.keys(get.result));
            };
        })"""
    )
    assert left is None


def test_a_phone_whose_clock_is_ten_minutes_fast_still_shows_a_code_the_kiosk_clears(
    live: LiveServer, browser: Browser
) -> None:
    commuter, _card = live.enrol_active(B)
    issued = live.issue(commuter["id"], "dynamic", phone_pass=True)
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-GB"
    )
    phone_context.clock.set_system_time(datetime.now() + timedelta(minutes=10))
    phone = phone_context.new_page()
    phone.goto(issued["activation_link"])
    code = phone.locator("#code")
    expect(code).to_have_attribute("data-code", re.compile(r"^HD1:"))
    # The pass follows the server's clock (learned from its answers), and proves itself with it.
    expect(phone.locator("#connection")).to_contain_text("Status checked")
    shown = decoded_qr(code.screenshot())
    assert verify(live, "east_to_hk", B, shown[0])["decision"] == "cleared"


def test_an_officer_reads_the_mornings_flow_per_bridge_and_hour(live: LiveServer, browser: Browser) -> None:
    # Yesterday morning at the east bridge into Hong Kong, as its kiosk delivered it (with the
    # time to clear it measured, and each record the time to leave of the person before), and one
    # attempt at the west bridge the other way.
    day = local_today() - timedelta(days=1)

    def at(hh: int, mm: int) -> str:
        return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZONE_TIME).isoformat()

    east = [
        {"id": str(uuid.uuid4()), "decided_at": at(8, m), "decision": d, "reasons": r, "clear_ms": ms}
        | ({"previous_left_ms": left} if left else {})
        for m, d, r, ms, left in [
            (2, "cleared", [], 1400.0, None),
            (4, "cleared", [], 2200.0, 1200.0),
            (6, "refer", ["face_uncertain"], 8000.0, 600.0),
            (31, "cleared", [], 1600.0, 2600.0),
        ]
    ]
    west = [
        {
            "id": str(uuid.uuid4()),
            "decided_at": at(18, 10),
            "decision": "cleared",
            "reasons": [],
            "clear_ms": 900.0,
        }
    ]
    for kiosk, items in (("east_to_hk", east), ("west_to_sz", west)):
        answer = live.signer(kiosk).deliver(httpx, live.url, items)
        assert [r["status"] for r in answer.json()["results"]] == ["created"] * len(items), answer.text

    page = signed_in_page(browser, live, "officer")
    page.get_by_role("link", name="Flow").click()
    rows = page.locator("#flow-hours tbody tr[data-bridge='east']")
    expect(rows).to_have_count(1)  # the last seven days by default: yesterday is in them
    expect(rows.first).to_contain_text("08:00")
    cells = [text.strip() for text in rows.first.locator("td").all_inner_texts()]
    assert cells[1:] == ["East footbridge", "to Hong Kong", "4", "25.0 %", "1.6 s", "8.0 s", "1.2 s", "2.6 s"]
    expect(page.locator("#busiest")).to_contain_text("08:00 (3 crossings)")
    expect(page.locator("#busiest")).to_contain_text("18:00 (1 crossing)")
    expect(page.locator("svg.chart polyline")).to_have_count(2)  # one line per bridge and direction
    screenshot(page, "flow-page")
    # The CSV the page offers is the same figures.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("bridge,direction,hour,crossings")
    assert any(
        line.startswith("east,to_hk,") and ",4,3,1,0,0.25,4,1600.0,8000.0,3,1200.0,2600.0" in line
        for line in lines
    )

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live.url}/flow")
    expect(phone.locator("h1")).to_contain_text("Flow of commuters")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the flow page is {width} px wide on a 390 px phone"
    # Each hour is a block on a phone, every figure under its name, none off to the side.
    last = phone.locator("#flow-hours tbody tr[data-bridge='east'] td").last
    expect(last).to_contain_text("2.6 s")
    assert last.evaluate("e => e.getBoundingClientRect().right") <= 390
    screenshot(phone, "flow-page-phone")


def test_chinese_pages_come_with_their_fonts_where_the_machine_has_none(
    live: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live.url}/login")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^zh-Hans"))
    # The shipped fonts hold the page's characters and load from this server (nothing from
    # elsewhere); Simplified text asks for the Simplified-region font first, the 繁體中文 button
    # for Hong Kong's.
    for family, text in (("Noto Sans SC", "登录 简体中文"), ("Noto Sans HK", "登入 繁體中文")):
        loaded = page.evaluate(
            '([family, text]) => document.fonts.load(`16px "${family}"`, text)'
            ".then(faces => faces.map(face => face.status))",
            [family, text],
        )
        assert loaded and set(loaded) == {"loaded"}, (family, loaded)

    def families(selector: str) -> list[str]:
        stack = page.locator(selector).first.evaluate("e => getComputedStyle(e).fontFamily")
        return [name.strip().strip('"') for name in stack.split(",")]

    for selector, first, second in (
        ("body", "Noto Sans SC", "Noto Sans HK"),
        ("button[lang='zh-Hant']", "Noto Sans HK", "Noto Sans SC"),
    ):
        stack = families(selector)
        # Before system-ui and sans-serif: Chromium on Linux draws boxes for what system-ui lacks
        # rather than try the fonts after it.
        assert stack.index(first) < stack.index(second) < stack.index("system-ui"), (selector, stack)
        assert stack.index("system-ui") < stack.index("sans-serif"), (selector, stack)
    screenshot(page, "login-zh-hans")
    context.close()


def test_an_officer_compares_each_registrations_photos_and_approves_one_after_another(
    live: LiveServer, browser: Browser
) -> None:
    enroller = live.headers("enroller")
    assert live.org_id is not None
    for sample in (A, B):
        created = httpx.post(
            f"{live.url}{API}/commuters",
            headers=enroller,
            data=registration(live.org_id, full_name=sample.label),
            files={"photo": ("p.jpg", sample.enrolment_photo.read_bytes(), "image/jpeg")},
            timeout=30,
        )
        assert created.status_code == 201, created.text
    page = signed_in_page(browser, live, "officer")
    page.goto(f"{live.url}/queue")
    # Nothing can be ticked for approving together before its photos were compared.
    expect(page.locator("#approve-registrations input[type=checkbox]:not([disabled])")).to_have_count(0)
    page.get_by_role("link", name=A.label).click()
    evidence = page.locator("#evidence")
    expect(evidence.locator("img.reference")).to_have_count(1)
    assert evidence.locator("img.reference").evaluate("img => img.naturalWidth") > 100
    expect(evidence.locator("#registered-by")).to_contain_text("enroller")
    screenshot(page, "approve-registration")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)
    expect(phone.locator("#approve")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the approval page is {width} px wide on a 390 px phone"
    screenshot(phone, "approve-registration-phone")
    # Approve: it says so and shows the next registration, ready to compare.
    page.locator("#approve").click()
    expect(page.locator("p.notice")).to_contain_text(f"Approved: {A.label}.")
    expect(page.locator("#evidence h1")).to_contain_text(B.label)


# Four or more Latin words in a row: an English sentence (names, codes and units are shorter).
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,'’]+[A-Za-z]{2,}){3,}")


def no_english_sentence(page: Page) -> None:
    shown = page.inner_text("main")
    assert not ENGLISH_RUN.search(shown), ENGLISH_RUN.findall(shown)


def test_chinese_pages_say_an_error_an_alert_and_an_import_report_in_chinese(
    live: LiveServer, browser: Browser
) -> None:
    # Three tries of one card by somebody else: an alert for the officers.
    _commuter, credential = live.enrol_active(A)
    for _ in range(3):
        answer = httpx.post(
            f"{live.url}{API}/kiosk/verify",
            headers={"Authorization": f"Bearer {live.kiosks['east_to_hk']}"},
            files={"frame": ("frame.jpg", frame_jpeg(IMPOSTOR_PHOTO, credential["payload"]), "image/jpeg")},
            timeout=30,
        )
        assert answer.json()["reasons"] == ["face_mismatch"], answer.text
    valid = (utcnow() + timedelta(days=200)).date().isoformat()
    csv = (
        "full_name,document_type,document_number,home_park,valid_until,photo\n"
        f"Good Row,passport,ZH100001,hk,{valid},one.jpg\n"
        "Three Wrongs,library_card,ZH100002,xx,someday,one.jpg\n"
    )
    folder = OUTPUT / "import-zh"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "commuters.csv").write_text(csv)
    with zipfile.ZipFile(folder / "photos.zip", "w") as photos:
        photos.writestr("one.jpg", A.enrolment_photo.read_bytes())

    page = signed_in_page(browser, live, "enroller")
    page.click("button[name=lang][value=zh-Hans]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans-CN")
    # An error: photos that are not a zip.
    page.goto(f"{live.url}/imports/new")
    page.set_input_files("input[name=csv]", str(folder / "commuters.csv"))
    page.set_input_files("input[name=photos]", str(folder / "commuters.csv"))
    page.click("#import-form button[type=submit]")
    expect(page.locator("p.problem")).to_contain_text("照片文件不是 zip 压缩包")
    no_english_sentence(page)
    screenshot(page, "error-zh-Hans")
    # An import report: one row wrong three ways, every reason in Chinese.
    page.set_input_files("input[name=csv]", str(folder / "commuters.csv"))
    page.set_input_files("input[name=photos]", str(folder / "photos.zip"))
    page.click("#import-form button[type=submit]")
    failed = page.locator("#import-rows tr.failed")
    expect(failed).to_have_count(1, timeout=60000)
    expect(failed).to_contain_text("'library_card' 不是有效的 document_type")
    expect(failed).to_contain_text("'xx' 不是有效的 home_park")
    expect(failed).to_contain_text("'someday' 不是日期")
    no_english_sentence(page)
    screenshot(page, "import-report-zh-Hans")

    page = signed_in_page(browser, live, "officer")
    page.click("button[name=lang][value=zh-Hant]")
    page.goto(f"{live.url}/queue")
    expect(page.locator("article.alert")).to_contain_text("同一證件於 10 分鐘內 3 次人臉不符")
    expect(page.locator("header.top nav .count")).to_be_visible()
    no_english_sentence(page)
    screenshot(page, "queue-alert-zh-Hant")
    page.goto(f"{live.url}/audit")
    no_english_sentence(page)
    screenshot(page, "audit-zh-Hant")
