import numpy as np
import pytest

from kiosk.frames import compose_frame
from kiosk.screen import COLOURS, GUIDANCE, render
from kiosk.station import Guidance


@pytest.mark.parametrize("guidance", list(Guidance))
def test_screen_shows_the_picture_and_three_languages_on_the_decision_colour(guidance: Guidance) -> None:
    frame = compose_frame(face=None, qr_text=None)
    screen = render(frame, guidance, None)
    height = frame.shape[0]
    assert np.array_equal(screen[:height], frame)
    banner = screen[height:]
    background = np.all(banner == COLOURS[guidance], axis=2)
    text = np.all(banner > 200, axis=2)
    assert background.mean() > 0.6
    # Each of the three lines (English, Traditional, Simplified) puts white ink in its own band.
    bands = np.array_split(text[8:], 3)
    assert all(band.sum() > 100 for band in bands)
    assert len(GUIDANCE[guidance]) == 3
