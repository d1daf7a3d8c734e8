"""The commuter's phone pass, served under ``/pass/``: one page, its script, its service worker
and its web app manifest. No sign-in: the page holds its pass (``enrolment.passes``) in the
browser and talks to the server only through ``/api/v1/pass/...``. Once opened it works offline:
the service worker keeps these files, the page keeps the pass and the last status it read.

The service worker sits at ``/pass/sw.js`` so that its scope is ``/pass/`` and nothing else.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from clearance.http import i18n
from clearance.http import pages as html

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parent / "static" / "pass"
FILES = {
    "pass.js": "text/javascript",
    "pass.css": "text/css",
    "sw.js": "text/javascript",
    "qrcode.js": "text/javascript",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
}
"""What the page is made of besides itself and its manifest (qrcode.js is vendored, see
static/pass/vendor/SOURCE.txt)."""
# Revalidated on each visit when online; the service worker answers when offline.
ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def texts(translate: i18n.Translate) -> dict[str, str]:
    """Every text the page shows, in one language (the page holds all three and switches
    without the network)."""
    return {
        "title": translate("Hetao pass"),
        "activating": translate("Setting up your pass on this phone…"),
        "no_pass_title": translate("No pass on this phone"),
        "no_pass": translate(
            "Open the activation link that enrolment staff give you (scan their QR code with this phone)."
        ),
        "problem_title": translate("This pass could not be set up"),
        "not_found": translate("This link is not valid. Ask enrolment staff for a new pass."),
        "used": translate(
            "This link was already used on a phone. It works once: ask enrolment staff for a new pass."
        ),
        "link_expired": translate("This link has expired. Ask enrolment staff for a new pass."),
        "revoked_link": translate("This pass was revoked. Ask enrolment staff for a new one."),
        "expired_link": translate("This pass has expired. Ask enrolment staff for a new one."),
        "offline_activation": translate("No connection. Connect to the internet and try again."),
        "try_again": translate("Try again"),
        "unsupported": translate("This browser cannot keep a pass safely. Use a current Chrome or Safari."),
        "show_code": translate("Show this code to the kiosk camera. It changes every 30 seconds."),
        "valid_until": translate("Valid until {date}"),
        "online": translate("Status checked {time}"),
        "offline": translate("Offline: the code still works. Status last checked {time}."),
        "never_checked": translate("Offline: the code still works."),
        "full_screen": translate("Full screen"),
        "keep_pass": translate(
            "This pass lives only in this browser on this phone. Clearing the browser's data or a "
            "new phone removes it: the enrolment desk then gives you a new one."
        ),
        "add_home": translate("Add this page to your home screen to open your pass in one tap."),
        "revoked_title": translate("This pass is revoked"),
        "revoked": translate(
            "It was revoked on {time} and no longer opens the gate. Ask enrolment staff for a new pass."
        ),
        "expired_title": translate("This pass has expired"),
        "expired": translate("It expired on {time}. Ask enrolment staff for a new pass."),
        "your_crossings": translate("Your recent crossings"),
        "no_crossings": translate("No crossings yet."),
        "to_hk": translate("to_hk"),
        "to_sz": translate("to_sz"),
        "cleared": translate("cleared"),
        "refer": translate("refer"),
        "rejected": translate("rejected"),
        "your_data": translate("Your personal data"),
        "download_explained": translate(
            "Download everything held about you (a data access request under the Personal Data "
            "(Privacy) Ordinance). This phone proves it holds your pass; the request is recorded."
        ),
        "download": translate("Download my data"),
        "download_json": translate("As data for a computer (JSON)"),
        "downloaded": translate("Downloaded."),
        "download_failed": translate("The download failed: connect to the internet and try again."),
        "clock": translate("This phone's clock is wrong: set it to the network time."),
        "reissue": translate(
            "This pass was set up before an update and can no longer check its status: ask enrolment "
            "staff for a new pass."
        ),
    }


@cache
def _all_texts() -> str:
    return json.dumps({language: texts(i18n.translator(language)) for language in i18n.LANGUAGES})


@router.get("/pass/")
def pass_page(request: Request) -> Response:
    """The pass. The activation token, when there is one, is in the fragment (never sent here)."""
    response = html.render(
        request,
        "pass.html",
        auth=None,
        texts=_all_texts(),
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/pass/manifest.webmanifest")
def manifest() -> Response:
    body = {
        "name": "Hetao pass",
        "short_name": "Hetao pass",
        "description": "Your pass for the Hetao footbridges",
        "start_url": "/pass/",
        "scope": "/pass/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b3d2e",
        "icons": [
            {"src": "/pass/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/pass/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
    }
    return Response(json.dumps(body), media_type="application/manifest+json", headers=ASSET_HEADERS)


@router.get("/pass/{name}")
def asset(
    name: Literal["pass.js", "pass.css", "sw.js", "qrcode.js", "icon-192.png", "icon-512.png"],
) -> Response:
    path = STATIC / ("vendor/qrcode.js" if name == "qrcode.js" else name)
    return FileResponse(path, media_type=FILES[name], headers=ASSET_HEADERS)
