import numpy as np

from clearance.vision import faces

SIZE = 256
"""The default model's encodings (any size compares the same way)."""


def test_gallery_index_finds_the_same_nearest_as_a_direct_comparison() -> None:
    rng = np.random.default_rng(3)
    # Templates of one, two or three photos each, as commuters have them.
    templates = [
        faces.normalise(rng.normal(0, 0.09, size=(1 + n % 3, SIZE)).astype(np.float32)) for n in range(500)
    ]
    index = faces.GalleryIndex(templates)
    assert len(index) == 500
    for person in (0, 17, 499):
        frames = templates[person][:1] + rng.normal(0, 0.01, (2, SIZE)).astype(np.float32)
        found, distance = index.nearest(frames)
        assert found == person
        assert abs(distance - faces.template_distance(templates[person], frames)) < 1e-4
    assert faces.GalleryIndex([]).nearest(templates[0]) == (-1, float("inf"))


def test_a_template_distance_is_the_mean_over_photos_and_frames() -> None:
    a, b, c = (faces.normalise(np.eye(SIZE, dtype=np.float32)[i]) for i in range(3))
    assert faces.template_distance(a, a) == 0.0
    assert abs(faces.template_distance(a, b) - np.sqrt(2)) < 1e-6  # orthogonal unit vectors
    assert abs(faces.template_distance(np.stack([a, b]), a) - np.sqrt(2) / 2) < 1e-6
    assert abs(faces.template_distance(a, np.stack([a, b, c])) - 2 * np.sqrt(2) / 3) < 1e-6
