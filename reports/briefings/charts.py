"""Column charts as PNG images for the docx, drawn with Pillow (already installed with
ReportLab) in a vendored font: Noto Sans CJK SC (SIL OFL 1.1) subset to GB2312, so the
Chinese labels show on any machine, with nothing but the repository's own files."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from reports.briefings.sections import Chart

FONT_PATH = Path(__file__).with_name("fonts") / "NotoSansSC-Regular-GB2312.otf"
COLOURS = [60, 150, 200, 100, 30, 175]  # grey levels, told apart in the legend
WIDTH, HEIGHT = 1200, 640
LEFT, RIGHT, TOP, BOTTOM = 90, 30, 70, 150


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def chart_png(chart: Chart) -> bytes:
    """A grouped column chart of ``chart`` (title, legend, axis, labels) as PNG bytes."""
    # Grayscale: a third of an RGB image's bytes to compress, the text still antialiased
    # (and the briefing is printed in black and white as often as not).
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    draw.text((WIDTH // 2, 20), chart.title, font=font(28), fill=0, anchor="mt")
    top = max([max(values, default=0) for _name, values in chart.series] + [0])
    scale_max = _nice_max(top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x0, y0 = LEFT, TOP + plot_h
    for i in range(5):
        value = scale_max * i / 4
        y = y0 - plot_h * i / 4
        draw.line((x0, y, x0 + plot_w, y), fill=221)
        label = f"{value:g}"
        draw.text((x0 - 8, y), label, font=font(16), fill=51, anchor="rm")
    if chart.unit:
        draw.text((10, TOP - 30), chart.unit, font=font(16), fill=51)
    draw.line((x0, TOP, x0, y0), fill=0)
    draw.line((x0, y0, x0 + plot_w, y0), fill=0)
    n = max(len(chart.categories), 1)
    group_w = plot_w / n
    bar_w = group_w * 0.8 / max(len(chart.series), 1)
    label_font = font(16 if n <= 12 else 12)
    for c, category in enumerate(chart.categories):
        gx = x0 + group_w * c + group_w * 0.1
        for s, (_name, values) in enumerate(chart.series):
            value = values[c] if c < len(values) else 0
            h = plot_h * (value / scale_max) if scale_max else 0
            bx = gx + bar_w * s
            draw.rectangle((bx, y0 - h, bx + bar_w - 2, y0), fill=COLOURS[s % len(COLOURS)])
        text = category if len(category) <= 8 else category[:7] + "…"
        draw.text((gx + group_w * 0.4, y0 + 10), text, font=label_font, fill=0, anchor="mt")
    lx = x0
    for s, (name, _values) in enumerate(chart.series):
        draw.rectangle((lx, HEIGHT - 50, lx + 18, HEIGHT - 32), fill=COLOURS[s % len(COLOURS)])
        draw.text((lx + 26, HEIGHT - 41), name, font=font(18), fill=0, anchor="lm")
        lx += 60 + int(draw.textlength(name, font=font(18)))
    out = io.BytesIO()
    # The fastest zlib level: flat colours compress well at any level.
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
