"""The HTML preview of an image DataFrame, rendered by a real browser
(headless Chromium, installed by ``make test``): the thumbnails must decode
and show the images' pixels."""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import re

import numpy as np
from PIL import Image

import ketch

DATA = os.path.join(importlib.util.find_spec("skimage").submodule_search_locations[0], "data")


def test_thumbnails_render_in_chromium(tmp_path, chromium):
    paths = [os.path.join(DATA, f) for f in ("astronaut.png", "coffee.png", "chelsea.png")]
    df = ketch.from_pydict({"p": paths}).select(ketch.col("p").download().decode_image().alias("img")).collect()
    page = tmp_path / "preview.html"
    # Thumbnails on a pure white page: any non-white pixel was drawn by a decoded image.
    page.write_text(
        "<html><body style='margin:0;background:#fff'>"
        "<style>th,td,small{color:#fff;border:0} table{border-collapse:collapse}</style>"
        f"{df._repr_html_()}</body></html>"
    )
    shot = tmp_path / "shot.png"
    chromium(page.as_uri(), "--window-size=1200,900", f"--screenshot={shot}")
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    drawn = pixels.sum(axis=2) < 3 * 250
    # One band of drawn rows per image row of the table.
    rows = np.flatnonzero(drawn.sum(axis=1) > 32)
    bands = [b for b in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if len(b) > 20]
    assert len(bands) == 3, [len(b) for b in bands]
    thumbs = [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(m))).convert("RGB")).astype(int)
        for m in re.findall(r"base64, ([A-Za-z0-9+/=]+)", page.read_text())
    ]
    for band, thumb in zip(bands, thumbs):
        # Cells are at most 100 px tall (Daft's style), so tall thumbnails are cut.
        h, w = min(thumb.shape[0], 100), thumb.shape[1]
        assert abs(len(band) - h) <= 3, (len(band), h)
        cols = np.flatnonzero(drawn[band].any(axis=0))
        cols = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)[0]  # leave out scrollbars
        assert abs(len(cols) - w) <= 3, (len(cols), w)
        shown = pixels[band[0] : band[0] + h, cols[0] : cols[0] + w]
        # The pixels drawn are the thumbnail's own (PNG decoded by the browser).
        assert np.abs(shown - thumb[:h, :w]).mean() < 4
