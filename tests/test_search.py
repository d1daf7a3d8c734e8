import numpy as np

from clearance.vision import faces


def test_gallery_index_finds_the_same_nearest_as_a_direct_comparison() -> None:
    rng = np.random.default_rng(3)
    gallery = rng.normal(0, 0.09, size=(500, faces.ENCODING_SIZE)).astype(np.float32)
    index = faces.GalleryIndex(gallery)
    for row in (0, 17, 499):
        probe = gallery[row] + rng.normal(0, 0.01, faces.ENCODING_SIZE).astype(np.float32)
        found, distance = index.nearest(probe)
        assert found == row
        assert abs(distance - faces.face_distance(probe, gallery[row])) < 1e-4
    assert faces.GalleryIndex(np.zeros((0, faces.ENCODING_SIZE), dtype=np.float32)).nearest(gallery[0]) == (
        -1,
        float("inf"),
    )
