"""The multimodal job: real images -> decode -> resize -> a feature per image
-> nearest neighbours by cosine similarity -> Parquet, plus an HTML preview.

The images are the 30-odd real photographs and scans shipped inside the
scikit-image wheel (``skimage/data/``), copied into ``--data`` at run time;
nothing is downloaded.

    python examples/images.py --data data/images --out data/images-out
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil

import numpy as np

import ketch as daft
from ketch import col

IMAGE_SUFFIXES = (".png", ".jpg", ".gif", ".tif")


def extract_images(dest: str) -> int:
    """Copies the images of the installed scikit-image wheel into ``dest``."""
    src = os.path.join(importlib.util.find_spec("skimage").submodule_search_locations[0], "data")
    os.makedirs(dest, exist_ok=True)
    names = [n for n in sorted(os.listdir(src)) if n.endswith(IMAGE_SUFFIXES)]
    for n in names:
        shutil.copyfile(os.path.join(src, n), os.path.join(dest, n))
    return len(names)


@daft.cls
class ColorHistogram:
    """A 4x4x4 RGB color histogram per image, L2-normalized (64 floats)."""

    def __init__(self, bins: int = 4):
        self.bins = bins

    @daft.method.batch(return_dtype=daft.DataType.embedding(daft.DataType.float32(), 64))
    def __call__(self, images):
        out = []
        for img in images.to_pylist():
            q = (img.astype(np.uint16) * self.bins // 256).reshape(-1, 3)
            idx = q[:, 0] * self.bins * self.bins + q[:, 1] * self.bins + q[:, 2]
            h = np.bincount(idx, minlength=self.bins**3).astype(np.float32)
            out.append(h / np.linalg.norm(h))
        return np.stack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="data/images")
    parser.add_argument("--out", default="data/images-out")
    args = parser.parse_args()
    n = extract_images(args.data)
    print(f"{n} real images from scikit-image in {args.data}")

    histogram = ColorHistogram()
    images = (
        daft.from_glob_path(os.path.join(args.data, "*"))
        .with_column("image", col("path").download().decode_image(mode="RGB", on_error="null"))
        .where(col("image").not_null())
        .with_column("small", col("image").resize(224, 224))
        .with_column("width", col("image").image_width())
        .with_column("height", col("image").image_height())
        .with_column("feature", histogram(col("small")))
        .with_column("name", col("path").regexp_extract(r"([^/]+)$", 1))
        .select("name", "width", "height", "small", "feature")
        .collect()
    )

    # Nearest neighbour of each image by cosine similarity of the features.
    left = images.select(col("name"), col("feature"))
    right = images.select(col("name").alias("other"), col("feature").alias("other_feature"))
    pairs = (
        left.join(right, how="cross")
        .where(col("name") != col("other"))
        .with_column("similarity", col("feature").cosine_similarity(col("other_feature")))
        .with_column(
            "rank",
            daft.functions.row_number().over(daft.Window().partition_by("name").order_by("similarity", desc=True)),
        )
        .where(col("rank") == 1)
        .select("name", "other", "similarity")
        .sort("similarity", desc=True)
        .collect()
    )
    print("Nearest neighbours by color histogram (cosine similarity):")
    pairs.show(10)

    result = images.join(pairs, on="name").select("name", "width", "height", "small", "feature", "other", "similarity")
    os.makedirs(args.out, exist_ok=True)
    result.write_parquet(os.path.join(args.out, "parquet"), write_mode="overwrite")
    preview = os.path.join(args.out, "preview.html")
    with open(preview, "w") as f:
        f.write("<html><body>" + result.sort("similarity", desc=True).collect()._repr_html_() + "</body></html>")
    result.select("name", "width", "height", "small", "other", "similarity").show(5)
    print(f"wrote {os.path.join(args.out, 'parquet')} and the HTML preview {preview}")


if __name__ == "__main__":
    main()
