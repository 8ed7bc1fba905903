"""Draw docs/captchas-real-vs-synthetic.png: ten real captchas beside ten from the replica's renderer.

Usage, from the repository root: python -m benchmarks.captcha_figure [REAL_DIR] [--out docs/captchas-real-vs-synthetic.png]"""

from __future__ import annotations

import argparse
import csv
import io
import random
from pathlib import Path

from PIL import Image, ImageDraw

from bsr.settings import get_settings
from replica.captcha import HEIGHT, WIDTH, render

ROWS = 10
GAP = 4
HEADER = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("real_dir", nargs="?", type=Path, default=get_settings().captcha_data)
    parser.add_argument("--out", type=Path, default=Path("docs/captchas-real-vs-synthetic.png"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with open(args.real_dir / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(args.seed)
    chosen = rng.sample(rows, ROWS)
    figure = Image.new("RGB", (2 * WIDTH + GAP, HEADER + ROWS * (HEIGHT + GAP)), "white")
    draw = ImageDraw.Draw(figure)
    draw.text((4, 2), "real (site, 2019)", fill="black")
    draw.text((WIDTH + GAP + 4, 2), "synthetic (replica/captcha.py)", fill="black")
    for index, row in enumerate(chosen):
        top = HEADER + index * (HEIGHT + GAP)
        figure.paste(Image.open(args.real_dir / row["file"]).convert("RGB"), (0, top))
        synthetic = Image.open(io.BytesIO(render(row["label"], rng))).convert("RGB")
        figure.paste(synthetic, (WIDTH + GAP, top))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.convert("L").save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
