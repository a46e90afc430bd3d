"""Draw assets/branding/logo.png: the placeholder station bug (run once; the PNG is committed).

Usage: .venv/bin/python assets/branding/make_logo.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = HERE.parent / "fonts" / "BeVietnamPro-Bold.ttf"


def main() -> None:
    size = (360, 120)
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=22, fill=(12, 32, 64, 230),
                           outline=(242, 193, 78, 255), width=6)
    font = ImageFont.truetype(str(FONT), 64)
    draw.text((size[0] // 2, size[1] // 2 + 2), "TRÀ VINH", font=font, fill=(255, 255, 255, 255), anchor="mm")
    img.save(HERE / "logo.png", optimize=True)


if __name__ == "__main__":
    main()
