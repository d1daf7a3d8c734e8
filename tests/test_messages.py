"""Every word a person reads in their language: what the server refuses and why is a message
(an English template and its values) that a page renders in the reader's language, while machines
keep the English. The catalogue is checked against the code: a refusal written without its
translations, or as an f-string no catalogue can hold, fails here."""

from __future__ import annotations

import ast
import html
import io
import re
import string
import zipfile
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from clearance.alerts import service as alerts
from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core import errors
from clearance.core.enums import CredentialKind, DocumentType
from clearance.core.messages import STORED_PREFIX, Message, Words, words
from clearance.core.metrics import Metrics
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.crossings import service as crossings
from clearance.dashboard import service as dashboard
from clearance.db.actors import UserActor
from clearance.db.base import MessageText
from clearance.db.engine import session_scope
from clearance.db.keyring import Keyring
from clearance.db.models import Kiosk, User
from clearance.http import i18n
from clearance.http.errors import VALIDATION_PROBLEMS
from enrolment import imports
from tests.pages import sign_in
from tests.support import API, World, post_commuter

ROOT = Path(__file__).resolve().parent.parent
ERRORS = {
    name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, Exception)
}
A = SAMPLE_COMMUTERS[0]
# Four or more Latin words in a row: an English sentence (names, codes and units are shorter).
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,'’]+[A-Za-z]{2,}){3,}")


def _templates(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _templates(node.body), _templates(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _refusals_in_code() -> tuple[dict[str, str], list[str]]:
    """Every template a refusal is raised with (where), and every refusal raised with text a
    catalogue cannot hold (an f-string, a string built at run time)."""
    found: dict[str, str] = {}
    unheld: list[str] = []
    for path in sorted([*ROOT.glob("clearance/**/*.py"), *ROOT.glob("enrolment/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and node.module in ("clearance.core.errors", "clearance.core.messages")
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args):
                continue
            name = node.func.id
            if name not in imported or name not in ERRORS | {"Message", "words"}:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            first = node.args[0]
            templates = _templates(first)
            if templates is not None:
                for template in templates:
                    found.setdefault(template, where)
            elif isinstance(first, ast.JoinedStr | ast.BinOp) or (
                isinstance(first, ast.Call)
                and not (isinstance(first.func, ast.Name) and first.func.id == "Message")
            ):
                unheld.append(f"{where}: {ast.unparse(first)[:80]}")
    return found, unheld


def _names(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_refusal_in_the_code_has_both_translations_with_the_same_values() -> None:
    found, unheld = _refusals_in_code()
    assert len(found) > 120  # the scan sees the code's refusals
    assert not unheld, "refusals raised with text no catalogue can hold:\n" + "\n".join(unheld)
    untranslated = [
        f"{where}: {template!r}" for template, where in found.items() if template not in i18n.MESSAGES
    ]
    assert not untranslated, "refusals without translations:\n" + "\n".join(untranslated)
    for template in [*found, *VALIDATION_PROBLEMS.values()]:
        for translation in i18n.MESSAGES[template]:
            # A translation may leave out a value it cannot put in words (an English hint) but
            # never asks for one the message does not carry.
            assert _names(translation) <= _names(template), (template, translation)
            assert not ENGLISH_RUN.search(translation.replace("HETAO_COOKIE_SECURE", "")), translation


def test_a_message_names_machine_words_in_the_readers_language() -> None:
    refused = Message(
        "this organisation already registered {document_type} {number}",
        document_type=DocumentType.HK_IDENTITY_CARD,
        number="A123456(3)",
    )
    assert str(refused) == "this organisation already registered hk_identity_card A123456(3)"
    assert i18n.said(i18n.translator("zh-Hant"), refused) == "此機構已登記香港身份證 A123456(3)。"
    assert i18n.said(i18n.translator("zh-Hans"), refused) == "此机构已登记香港身份证 A123456(3)。"
    assert i18n.said(i18n.translator("en"), refused).endswith("Hong Kong Identity Card A123456(3)")
    # A message inside a message (a photo's advice) is said in the same language.
    inner = Message(
        "the face is {height} px tall, at least {least} px is needed: take the photo closer or at "
        "a higher resolution",
        height=60,
        least=80,
    )
    outer = Message("the photo cannot be used: {advice}", advice=inner)
    assert (
        i18n.said(i18n.translator("zh-Hans"), outer)
        == "照片不能使用：面孔高 60 像素，至少需要 80 像素：请靠近一点或以更高分辨率拍摄。"
    )


def test_english_counts_one_in_the_singular_and_chinese_as_before() -> None:
    english, chinese = i18n.translator("en"), i18n.translator("zh-Hant")
    assert english("{n} crossings waiting", n=1) == "1 crossing waiting"
    assert english("{n} crossings waiting", n=0) == "0 crossings waiting"
    assert english("{count} crossings", count=3) == "3 crossings"
    opted_in = "{n} commuters have opted in; face-only walk-through is safe for at most {bound}."
    assert english(opted_in, n=1, bound=2000).startswith("1 commuter has opted in;")
    assert chinese("{count} crossings", count=1) == "1 次通關"
    # Every message with a form for one is a counting message with its value, translated.
    for template, (counted, one) in i18n.ENGLISH_ONE.items():
        assert "{" + counted + "}" in template and template in i18n.MESSAGES
        assert _names(one) == _names(template) - {counted}


def _visible_text(page: str) -> str:
    main = page.split("<main>", 1)[-1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    main = re.sub(r"<(input|textarea|select)\b[^>]*>", " ", main)
    return re.sub(r"<[^>]+>", " ", main)


def test_refusals_on_a_chinese_page_are_chinese_and_the_api_keeps_english(
    page_client: TestClient, client: TestClient, world: World
) -> None:
    csrf = sign_in(page_client, "enroller_a")
    page_client.post("/language", data={"lang": "zh-Hant", "csrf_token": csrf, "next": "/register"})
    fields = {
        "csrf_token": csrf,
        "full_name": "Form Person",
        "document_type": "hk_identity_card",
        "document_number": "A123456(4)",
        "organisation_id": str(world.org_a),
        "home_park": "hk",
        "valid_until": (utcnow() + timedelta(days=100)).date().isoformat(),
    }
    photo = {"photo": ("p.jpg", A.enrolment_photo.read_bytes(), "image/jpeg")}
    refused = page_client.post("/register", data=fields, files=photo)
    assert refused.status_code == 422
    assert "此香港身份證號碼的核對數字不符：請檢查號碼。" in refused.text
    assert not ENGLISH_RUN.search(_visible_text(refused.text)), ENGLISH_RUN.findall(
        _visible_text(refused.text)
    )
    # A request the validation refuses, shown as a page: Chinese too.
    bad_link = page_client.get("/commuters/not-an-id")
    assert bad_link.status_code == 422
    assert "不是有效的編號" in bad_link.text
    assert not ENGLISH_RUN.search(_visible_text(bad_link.text)), ENGLISH_RUN.findall(
        _visible_text(bad_link.text)
    )
    # Machines read the same refusals in English, as the contract has it.
    answered = post_commuter(
        client,
        world.enroller_a,
        world.org_a,
        A.enrolment_photo,
        document_type="hk_identity_card",
        document_number="A123456(4)",
    )
    assert answered.status_code == 422
    assert answered.json()["detail"].startswith("the check digit of this Hong Kong identity card number")


def test_an_alert_an_import_report_and_the_audit_trail_read_in_chinese(
    page_client: TestClient,
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    settings: Settings,
    app_keyring: Keyring,
) -> None:
    # A kiosk silent for an hour: its alert is kept as a message, said on the officers' queue.
    with session_scope(sessions) as session:
        kiosk = session.get(Kiosk, world.kiosk_id)
        assert kiosk is not None
        kiosk.last_seen_at = utcnow() - timedelta(hours=1)
        session.flush()
        raised = alerts.check_silent_kiosks(session, now=utcnow(), silent_after=timedelta(minutes=5))
        assert len(raised) == 1
    # An import row with three things wrong with it at once.
    valid = (utcnow() + timedelta(days=300)).date().isoformat()
    csv = (
        "full_name,document_type,document_number,home_park,valid_until,photo\n"
        f"Good Row,passport,MSG00001,hk,{valid},a.jpg\n"
        "Many Wrong,library_card,MSG00002,xx,someday,missing.jpg\n"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("commuters.csv", csv)
        zipped.writestr("a.jpg", A.enrolment_photo.read_bytes())
    with session_scope(sessions) as session:
        enroller = session.get(User, world.enroller_a.user_id)
        assert enroller is not None
        request = imports.read_upload(
            csv_bytes=None, zip_bytes=archive.getvalue(), filename="up.zip", user=enroller, settings=settings
        )
        job_id = imports.start_import(
            session, request=request, actor=UserActor(enroller), submit=lambda _job, _request: None
        ).id
    imports.ImportRunner(
        unit_of_work=lambda: session_scope(sessions),
        settings=settings,
        keyring=app_keyring,
        metrics=Metrics(),
    ).run(job_id=job_id, user_id=world.enroller_a.user_id, ip=None, request=request)

    def chinese(path: str, *expected: str) -> None:
        shown = page_client.get(path)
        assert shown.status_code == 200, shown.text
        text = html.unescape(shown.text)
        for expect in expected:
            assert expect in text, (path, expect)
        visible = _visible_text(shown.text)
        assert not ENGLISH_RUN.search(visible), (path, ENGLISH_RUN.findall(visible))

    csrf = sign_in(page_client, "enroller_a")
    page_client.post("/language", data={"lang": "zh-Hans", "csrf_token": csrf, "next": "/"})
    chinese(
        f"/imports/{job_id}",
        "'library_card' 不是有效的 document_type：请使用以下其中之一：",
        "；'xx' 不是有效的 home_park",
        "；'someday' 不是日期",
        "压缩文件中没有名为 'missing.jpg' 的照片",
    )
    page_client.post("/logout", data={"csrf_token": csrf})
    csrf = sign_in(page_client, "officer")
    page_client.post("/language", data={"lang": "zh-Hant", "csrf_token": csrf, "next": "/"})
    chinese("/queue", "最後於", "聯絡伺服器")
    # The navigation counts what waits in the queue (this alert among it), on every page.
    with sessions() as session:
        waiting = (
            len(crossings.referral_queue(session))
            + alerts.count_open_alerts(session)
            + dashboard.count_pending_registrations(session)
        )
    assert waiting >= 1
    assert f'<span class="count" title="{waiting} 項待處理' in page_client.get("/commuters").text
    chinese("/audit", "2 行", "東面行人天橋", "第 2 行")
    # Machines keep the English: the alert as the API gives it.
    listed = client.get(f"{API}/alerts", headers=world.officer.headers)
    assert listed.status_code == 200
    assert any("last called the server at" in alert["detail"] for alert in listed.json()), listed.json()


def test_a_stored_message_reads_back_as_it_was_written_and_old_text_as_text() -> None:
    kept = MessageText(500)
    written = words("{kind} credential {id}", kind=CredentialKind.DYNAMIC, id="c1")
    stored = kept.process_bind_param(written, None)  # type: ignore[arg-type]
    assert stored is not None and stored.startswith(STORED_PREFIX)
    read = kept.process_result_value(stored, None)  # type: ignore[arg-type]
    assert isinstance(read, Words) and read == "dynamic credential c1"
    assert i18n.said(i18n.translator("zh-Hant"), read) == "動態（手機）證件 c1"
    # Text written before messages were kept, or a message too long for its column, is English.
    assert kept.process_result_value("1 photo; import x line 2", None) == "1 photo; import x line 2"  # type: ignore[arg-type]
    too_long = words("credential {id}", id="x" * 600)
    assert kept.process_bind_param(too_long, None) == ("credential " + "x" * 600)[:500]  # type: ignore[arg-type]
