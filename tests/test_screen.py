"""The kiosk's screen and sounds, drawn as the kiosk draws them; each state is saved as a
screenshot (test-output/screenshots/kiosk-*.png) to look at."""

import io
import os
import wave
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.enums import Decision, Direction, Park
from clearance.core.reasons import Reason
from clearance.core.settings import Settings
from kiosk import sounds
from kiosk.frames import compose_frame, load_photo_file
from kiosk.runner import STATUS_WORDS, open_store, status_line
from kiosk.screen import (
    COLOURS,
    DESTINATIONS,
    FONTS,
    GUIDANCE,
    LINE_FONTS,
    PANEL_X,
    PORTRAIT,
    PORTRAIT_PANEL_Y,
    SIZE,
    SMALL_CJK,
    SOUNDS,
    WHY,
    fit,
    render,
    why,
)
from kiosk.station import Guidance, LinkStatus, Station, StationConfig, guidance_for

OUTPUT = Path(os.environ.get("HETAO_TEST_OUTPUT", "test-output")) / "screenshots"
STATUS = "to_hk  ·  SERVER OFFLINE: deciding from the whitelist  ·  whitelist 3 min old  ·  2 to deliver"


@pytest.mark.parametrize("guidance", list(Guidance))
def test_each_state_fills_the_screen_with_its_colour_sign_and_three_languages(guidance: Guidance) -> None:
    frame = compose_frame(face=load_photo_file(SAMPLE_COMMUTERS[0].live_photo), qr_text="HC1:EXAMPLE")
    screen = render(frame, guidance, STATUS)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    Image.fromarray(screen).save(OUTPUT / f"kiosk-{guidance.value}.png")
    assert screen.shape == (SIZE[1], SIZE[0], 3)
    panel = screen[:, PANEL_X:]
    assert np.all(panel == COLOURS[guidance], axis=2).mean() > 0.7
    white = np.all(panel > 235, axis=2)
    # A large sign at the top, then the English, 繁體中文 and 简体中文 lines below it, each a
    # band of ink at least 30 px high (readable across the footbridge's queue).
    assert white[40:260].sum() > 4000
    rows = white[270:].any(axis=1)
    bands, inside, start = [], False, 0
    for y, ink in enumerate(rows):
        if ink and not inside:
            inside, start = True, y
        elif not ink and inside:
            inside = False
            bands.append(y - start)
    tall = [height for height in bands if height >= 30]
    assert len(tall) >= 3, bands
    # The camera picture is there, and the officer's status line under it.
    picture = screen[:, :PANEL_X]
    assert picture[100:600].std() > 20
    assert (picture[-30:, :600] > 150).any()


@pytest.mark.parametrize(
    ("guidance", "reasons", "said"),
    [
        (Guidance.REFERRED, [Reason.ANTI_PASSBACK.value], WHY[Reason.ANTI_PASSBACK]),
        (Guidance.TRY_AGAIN, [Reason.CODE_EXPIRED.value], WHY[Reason.CODE_EXPIRED]),
        (Guidance.NOT_CLEARED, [Reason.REVOKED.value], WHY[Reason.REVOKED]),
        # Nothing that would coach an impostor: a face that does not match says no more.
        (Guidance.NOT_CLEARED, [Reason.FACE_MISMATCH.value], None),
        (Guidance.NOT_CLEARED, [Reason.PRESENTATION_ATTACK.value], None),
    ],
)
def test_an_outcome_says_where_the_lane_goes_and_why_where_the_person_can_act_on_it(
    guidance: Guidance, reasons: list[str], said: tuple[str, str, str] | None
) -> None:
    frame = compose_frame(face=load_photo_file(SAMPLE_COMMUTERS[0].live_photo), qr_text="HC1:EXAMPLE")
    plain = render(frame, guidance, STATUS)
    shown = render(frame, guidance, STATUS, destination=Park.SZ, reasons=reasons)
    assert why(reasons) == said
    OUTPUT.mkdir(parents=True, exist_ok=True)
    Image.fromarray(shown).save(OUTPUT / f"kiosk-{guidance.value}-{reasons[0]}.png")
    # Where the lane goes: a band of white text across the top of the picture.
    band = shown[:44, :PANEL_X]
    assert np.all(band > 200, axis=2).sum() > 400 and not np.array_equal(band, plain[:44, :PANEL_X])
    # Why: three more lines of ink under the instructions, or none.
    below = np.all(shown[520:, PANEL_X:] > 235, axis=2).any(axis=1).sum()
    before = np.all(plain[520:, PANEL_X:] > 235, axis=2).any(axis=1).sum()
    if said is None:
        assert below == before
    else:
        assert below > before + 3 * 14


def test_a_display_standing_upright_gets_the_picture_above_the_panel_not_a_band() -> None:
    frame = compose_frame(face=load_photo_file(SAMPLE_COMMUTERS[0].live_photo), qr_text="HC1:EXAMPLE")
    upright = render(frame, Guidance.CLEARED, STATUS, destination=Park.HK, portrait=True)
    assert upright.shape == (PORTRAIT[1], PORTRAIT[0], 3)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    Image.fromarray(upright).save(OUTPUT / "kiosk-portrait.png")
    shown = fit(upright, (1080, 1920))  # a 1080 x 1920 display: filled, no black band
    assert shown[:40].max() > 20 and shown[-40:].max() > 20
    panel = upright[PORTRAIT_PANEL_Y:]
    assert np.all(panel == COLOURS[Guidance.CLEARED], axis=2).mean() > 0.7
    assert np.all(panel > 235, axis=2)[290:].any(axis=1).sum() > 3 * 30  # the three languages
    assert upright[100 : PORTRAIT_PANEL_Y - 40].std() > 20  # the camera picture above


def test_the_small_font_holds_every_character_of_the_destinations_reasons_and_status_line() -> None:
    characters = set(TTFont(FONTS / SMALL_CJK).getBestCmap())
    for lines in [*DESTINATIONS.values(), *WHY.values()]:
        for text in lines[1:]:
            missing = {char for char in text if ord(char) not in characters}
            assert missing == set(), text
    for language in ("zh-Hant", "zh-Hans"):
        for text in STATUS_WORDS[language].values():
            missing = {char for char in text if ord(char) >= 0x2E80 and ord(char) not in characters}
            assert missing == set(), text


def test_the_status_line_reads_in_the_officers_language(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path), "k" * 40)
    offline = LinkStatus()
    offline.failed("unreachable")
    line = status_line(store, offline, Direction.TO_SZ, "zh-Hant")
    assert line == "往深圳園區  ·  伺服器離線：按白名單決定  ·  白名單從未同步  ·  0 次通關待上傳"
    assert status_line(store, offline, Direction.TO_SZ).startswith("to Shenzhen Park  ·  SERVER OFFLINE")
    # Drawn with its Chinese in the Droid subset and its digit in Pillow's font: no missing glyphs
    # (a box), so the Traditional and Simplified lines differ where their characters do.
    photo = load_photo_file(SAMPLE_COMMUTERS[0].live_photo)
    hant = render(photo, Guidance.SHOW_QR, line)
    hans = render(photo, Guidance.SHOW_QR, status_line(store, offline, Direction.TO_SZ, "zh-Hans"))
    assert not np.array_equal(hant, hans)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    Image.fromarray(hant).save(OUTPUT / "kiosk-status-zh-Hant.png")


def test_every_state_looks_different() -> None:
    assert len(set(COLOURS.values())) == len(Guidance)
    assert len(set(GUIDANCE.values())) == len(Guidance)


def test_the_fonts_hold_every_character_of_the_instructions() -> None:
    for index, name in enumerate(LINE_FONTS):
        characters = set(TTFont(FONTS / name).getBestCmap())
        for lines in GUIDANCE.values():
            missing = {char for char in lines[index] if ord(char) not in characters}
            assert missing == set(), (name, lines[index])


@pytest.mark.parametrize(
    ("decision", "reasons", "guidance"),
    [
        (Decision.CLEARED, [], Guidance.CLEARED),
        (Decision.REFER, [Reason.NO_FACE], Guidance.TRY_AGAIN),
        (Decision.REFER, [Reason.SEVERAL_FACES], Guidance.TRY_AGAIN),
        (Decision.REJECTED, [Reason.CODE_EXPIRED], Guidance.TRY_AGAIN),
        (Decision.REFER, [Reason.FACE_UNCERTAIN], Guidance.REFERRED),
        (Decision.REFER, [Reason.ANTI_PASSBACK], Guidance.REFERRED),
        (Decision.REFER, [Reason.NO_FACE, Reason.ANTI_PASSBACK], Guidance.REFERRED),
        (Decision.REJECTED, [Reason.FACE_MISMATCH], Guidance.NOT_CLEARED),
        (Decision.REJECTED, [Reason.PRESENTATION_ATTACK], Guidance.NOT_CLEARED),
        (Decision.REJECTED, [Reason.REVOKED], Guidance.NOT_CLEARED),
    ],
)
def test_a_referral_a_refusal_and_a_fixable_attempt_say_different_things(
    decision: Decision, reasons: list[Reason], guidance: Guidance
) -> None:
    assert guidance_for(decision, reasons) is guidance


def dominant_frequencies(cue: sounds.Cue) -> list[float]:
    with wave.open(io.BytesIO(sounds.wav(cue))) as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, sounds.RATE)
        data = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2").astype(float)
    found, at = [], 0
    for frequency, seconds in sounds.NOTES[cue]:
        part = data[at : at + int(sounds.RATE * seconds)]
        at += len(part)
        if frequency:
            spectrum = np.abs(np.fft.rfft(part))
            found.append(float(np.fft.rfftfreq(len(part), 1 / sounds.RATE)[spectrum.argmax()]))
    return found


def test_each_outcome_has_its_own_sound() -> None:
    heard = {cue: dominant_frequencies(cue) for cue in sounds.Cue}
    assert len({tuple(round(f, -1) for f in tones) for tones in heard.values()}) == len(sounds.Cue)
    cleared, refused = heard[sounds.Cue.CLEARED], heard[sounds.Cue.REFUSED]
    assert cleared[1] > cleared[0] and refused[1] < refused[0]  # rising to walk on, falling to stop
    # Every outcome on the screen plays a sound; asking for the QR and the face does not.
    assert set(SOUNDS) == {Guidance.CLEARED, Guidance.TRY_AGAIN, Guidance.REFERRED, Guidance.NOT_CLEARED}


def test_an_outcome_stays_up_after_the_person_walks_on_until_its_time_or_the_next_person(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    config = StationConfig.from_settings(settings)
    station = Station(
        store=open_store(settings, "hk_screen_test"),
        link=None,
        status=LinkStatus(),
        config=config,
        direction=Direction.TO_HK,
        face_only=False,
    )
    try:
        person = load_photo_file(SAMPLE_COMMUTERS[0].live_photo)
        unknown = compose_frame(face=person, qr_text="HETAO1.not-a-credential-of-ours")
        nobody = compose_frame(face=None, qr_text=None)
        decided = station.handle(unknown, 0.0)
        assert decided is not None and station.guidance is Guidance.NOT_CLEARED
        # They walk on at once: the refusal is still there for them to read, until its time is up.
        t = 0.1
        while t < config.outcome_hold - 0.05:
            assert station.handle(nobody, t) is None
            assert station.guidance is Guidance.NOT_CLEARED, t
            t += 0.25
        station.handle(nobody, config.outcome_hold + 0.01)
        assert station.guidance is Guidance.SHOW_QR
        # The next person does not wait for it: their QR starts their attempt at once.
        assert station.handle(unknown, 10.0) is not None
        assert station.guidance is Guidance.NOT_CLEARED
        station.handle(nobody, 10.2)
        station.handle(nobody, 11.1)  # left (0.8 s), the refusal still up
        assert station.guidance is Guidance.NOT_CLEARED
        someone = compose_frame(face=person, qr_text="HETAO1.another-unknown-code")
        assert station.handle(someone, 11.2) is not None  # their own attempt, decided at once
        assert station.state.outcome_at == 11.2  # and their outcome held for its own time
    finally:
        station.close()
