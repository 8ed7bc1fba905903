"""The TWSE captcha image, rendered the way the site's ASP.NET captcha control draws it.

Five warped bold glyphs, white noise dots and one curved line on grey, as a 200x60 JPEG of quality 75."""

from __future__ import annotations

import io
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# The site's alphabet and length (SITE.md, "The captcha"), kept here as facts of the site: the replica may
# not import the solver, which owns the alphabet its models read (solver.alphabet). A test of the trainer
# holds the two equal.
ALPHABET = "ACDEFGHJKLNPQRTUVXYZ2346789"
TEXT_LENGTH = 5
WIDTH, HEIGHT = 200, 60
BACKGROUND = 76
JPEG_QUALITY = 75

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "LiberationSans-Bold.ttf"
# The control sizes its font from the image height (0.8 x 60 for its "low" warp setting).
FONT_SIZE = 48
# Arial's capitals stand 4% taller than Liberation Sans' (0.716 against 0.688 em): stretched about the baseline.
CAP_STRETCH = 1.04
# GDI+ lays a string out with a sixth of an em of padding before the first glyph.
GLYPH_PADDING = FONT_SIZE / 6
CELL_WIDTH = WIDTH // TEXT_LENGTH
# Corner jitter of the perspective warp: a sixth of the cell in each direction ("low" warp).
WARP_X = round(CELL_WIDTH / 6)
WARP_Y = round(HEIGHT / 6)
# Noise: one dot per 30 pixels, each an ellipse with sides drawn from 0..3 pixels (sides up to 4 put
# a third more white into the background than real captchas have).
NOISE_DOTS = WIDTH * HEIGHT // 30 + 1
NOISE_MAX_SIDE = 4
# The line: a cardinal spline of tension 1.75 through six random points; 1.8 pixels wide matches the
# real captchas' brightness best (the nominal pen is 2.16).
LINE_POINTS = 6
LINE_TENSION = 1.75
LINE_WIDTH = 1.8
# Drawn at four times the size and shrunk, which stands in for GDI+ anti-aliasing.
SUPERSAMPLE = 4


def random_text(rng: random.Random) -> str:
    """Five characters drawn uniformly from the site's alphabet."""
    return "".join(rng.choice(ALPHABET) for _ in range(TEXT_LENGTH))


def render(text: str, rng: random.Random) -> bytes:
    """The captcha image for `text` as the site's JPEG bytes; warp and noise come from `rng`."""
    if len(text) != TEXT_LENGTH or any(char not in ALPHABET for char in text.upper()):
        raise ValueError(f"captcha text must be {TEXT_LENGTH} characters of {ALPHABET}, got {text!r}")
    coverage = np.zeros((HEIGHT * SUPERSAMPLE, WIDTH * SUPERSAMPLE), dtype=np.uint8)
    for position, char in enumerate(text.upper()):
        _draw_glyph(coverage, char, position, rng)
    overlay = Image.fromarray(coverage)
    draw = ImageDraw.Draw(overlay)
    _draw_noise(draw, rng)
    _draw_line(draw, rng)
    small = cv2.resize(np.asarray(overlay), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    grey = (BACKGROUND + (255 - BACKGROUND) * (small.astype(np.float32) / 255.0)).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY, dpi=(96, 96))
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), FONT_SIZE * SUPERSAMPLE)


@lru_cache(maxsize=len(ALPHABET))
def _glyph_cell(char: str) -> np.ndarray:
    """The glyph laid out in its 40x60 cell (supersampled), before the warp."""
    # Wider than the cell: GDI+ does not clip a glyph path to its layout rectangle.
    cell = Image.new("L", (2 * CELL_WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(cell)
    origin = (GLYPH_PADDING * SUPERSAMPLE, 0)
    if char == "Q":
        _draw_arial_q(draw, origin)
    else:
        draw.text(origin, char, fill=255, font=_font(), anchor="la")
    baseline = _font().getmetrics()[0]
    stretch = np.float32([[1, 0, 0], [0, CAP_STRETCH, baseline * (1 - CAP_STRETCH)]])
    return cv2.warpAffine(np.asarray(cell), stretch, cell.size, flags=cv2.INTER_LINEAR)


def _draw_arial_q(draw: ImageDraw.ImageDraw, origin: tuple[float, float]) -> None:
    """Arial's Q: the O's bowl crossed by a short tail that barely passes the baseline (Liberation
    Sans hangs a long tail below it, which real captchas never show)."""
    draw.text(origin, "O", fill=255, font=_font(), anchor="la")
    left, top, right, bottom = _font().getbbox("O", anchor="la")
    width, height = right - left, bottom - top
    x0, y0 = origin[0] + left, origin[1] + top

    def at(u: float, v: float) -> tuple[float, float]:
        return x0 + u * width, y0 + v * height

    draw.polygon([at(0.47, 0.70), at(0.66, 0.70), at(1.02, 1.06), at(0.83, 1.06)], fill=255)


def _draw_glyph(coverage: np.ndarray, char: str, position: int, rng: random.Random) -> None:
    """Warp the glyph's cell onto a random quadrilateral around it, as GraphicsPath.Warp does."""
    left_edge = position * CELL_WIDTH
    left = max(left_edge - WARP_X, 0)
    right = min(left_edge + CELL_WIDTH + WARP_X, WIDTH)
    top, bottom = 0, HEIGHT

    def corner(x_low: int, y_low: int) -> tuple[float, float]:
        return float(rng.randrange(x_low, x_low + WARP_X)), float(rng.randrange(y_low, y_low + WARP_Y))

    quad = [
        corner(left, top),
        corner(right - WARP_X, top),
        corner(left, bottom - WARP_Y),
        corner(right - WARP_X, bottom - WARP_Y),
    ]
    cell = np.float32([[0, 0], [CELL_WIDTH, 0], [0, HEIGHT], [CELL_WIDTH, HEIGHT]]) * SUPERSAMPLE
    transform = cv2.getPerspectiveTransform(cell, np.float32(_canvas(np.float32(quad))))
    warped = cv2.warpPerspective(
        _glyph_cell(char), transform, (coverage.shape[1], coverage.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0
    )
    np.maximum(coverage, warped, out=coverage)


def _canvas(value: Any) -> Any:
    """Where a GDI+ coordinate lands on the supersampled canvas: GDI+ puts pixel centres on integers."""
    return (value + 0.5) * SUPERSAMPLE


def _draw_noise(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    for _ in range(NOISE_DOTS):
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        width, height = rng.randrange(NOISE_MAX_SIDE), rng.randrange(NOISE_MAX_SIDE)
        if width and height:
            left, top = _canvas(x), _canvas(y)
            draw.ellipse([left, top, left + width * SUPERSAMPLE - 1, top + height * SUPERSAMPLE - 1], fill=255)


def _draw_line(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    points = np.array([(rng.randrange(WIDTH), rng.randrange(HEIGHT)) for _ in range(LINE_POINTS)], float)
    curve = _canvas(_cardinal_spline(points, LINE_TENSION))
    draw.line([tuple(point) for point in curve], fill=255, width=round(LINE_WIDTH * SUPERSAMPLE), joint="curve")


def _cardinal_spline(points: np.ndarray, tension: float, steps: int = 24) -> np.ndarray:
    """Sample the curve GDI+ DrawCurve draws: Bezier segments whose handles are 0.3 x tension long."""
    scale = 0.3 * tension
    padded = np.vstack([points[:1], points, points[-1:]])
    segments = []
    t = np.linspace(0.0, 1.0, steps, endpoint=False)[:, None]
    for index in range(len(points) - 1):
        before, start, end, after = padded[index : index + 4]
        handle_out = start + scale * (end - before)
        handle_in = end - scale * (after - start)
        segments.append(
            (1 - t) ** 3 * start + 3 * (1 - t) ** 2 * t * handle_out + 3 * (1 - t) * t**2 * handle_in + t**3 * end
        )
    segments.append(points[-1:])
    return np.vstack(segments)
