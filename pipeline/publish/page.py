"""The web package's player page: `index.html`, the embed snippets and the portal team's README.

A provincial portal publishes the package folder as it is, so the page plays from that folder alone:
video.js is the package's own copy (`vendor.py`), every address is relative, and nothing on the page
names another site. The page is Vietnamese first (the portal's audience; `lang="vi"`, the player's
controls in Vietnamese) with the English the ministry reads beside it, and carries the whole
transcript in both languages next to the player: WCAG 1.2.3's alternative for the programme's sound,
which the portal's accessibility audit asks for. Every text comes from the manifest or the subtitles,
so every text is HTML-escaped here, and all of it is written NFC (one spelling of each Vietnamese
letter, so the portal's search finds what its visitors type).

Two embed snippets are written beside the page: `embed.html` (an iframe of the page's player alone)
and `embed-mp4.html` (the progressive MP4 with its `<track>`s and no script), for a CMS that takes
single files but refuses a folder of playlists.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath

from ..errors import ReportageError
from ..fsutil import write_text
from . import vendor

TranscriptLine = tuple[float, str]
"""One line of the transcript beside the player: its start in seconds from the programme's start, and
what is said (one subtitle cue, its lines joined)."""

PAGE_ASSETS = ("page.css", "page.js")
"""The page's own stylesheet and script (pipeline/publish/player/), copied into `player/` beside video.js."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class CreditLine:
    """One line of the credits: the role in both languages (as the manifest's `credits` give it) and
    the person or organisation, whose name is the same in either."""

    role_vi: str
    role_en: str
    name: str


@dataclass(frozen=True)
class PlayerFacts:
    """What the page says and which files of the package it plays. File names are relative to the
    package folder (the page must work wherever the portal puts the folder)."""

    title_vi: str
    title_en: str
    synopsis_vi: str
    synopsis_en: str
    duration_s: float
    poster: str
    progressive_mp4: str
    vtt_vi: str
    vtt_en: str
    transcript_vi: Sequence[TranscriptLine]
    transcript_en: Sequence[TranscriptLine]
    credits: Sequence[CreditLine] = field(default_factory=tuple)
    master_playlist: str = "master.m3u8"

    def media_names(self) -> tuple[str, ...]:
        """Every package file the page points at."""
        return (self.master_playlist, self.progressive_mp4, self.poster, self.vtt_vi, self.vtt_en)


class PageError(ReportageError):
    """The player page cannot be written as asked (a file name that leaves the folder, a missing file)."""


def transcript_from_subtitles(path: Path) -> tuple[TranscriptLine, ...]:
    """The transcript lines of a subtitle file (SRT or WebVTT): one per cue, its lines joined, so the
    text beside the player is word for word what the subtitles say."""
    from ..subs import read_subtitles

    return tuple((cue.start_ms / 1000, " ".join(line.strip() for line in cue.lines if line.strip()))
                 for cue in read_subtitles(path).cues)


def _clean(text: str) -> str:
    """NFC and no control characters: HTML may not carry C0/C1 controls, and a caption file pasted
    from a word processor sometimes does."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()


def esc(text: str) -> str:
    """Text as HTML content or a quoted attribute value: NFC, controls dropped, `& < > " '` escaped."""
    return html.escape(_clean(text), quote=True)


def _relative_name(name: str, what: str) -> str:
    """`name` when it is a file inside the package folder, addressed relatively; PageError otherwise
    (a URL or an absolute path would send the viewer's browser out of the package)."""
    cleaned = _clean(name)
    parts = PurePosixPath(cleaned).parts
    if (not cleaned or ":" in cleaned or "\\" in cleaned or cleaned.startswith(("/", "//"))
            or ".." in parts or any(c in cleaned for c in "\"'<>#?% ")):
        raise PageError(f"the {what} {name!r} is not a plain file name inside the package folder",
                        hint="give a relative name such as 'poster.jpg' (the page must play from the folder alone)")
    return cleaned


def clock(seconds: float) -> str:
    """`m:ss`, or `h:mm:ss` from an hour: how a viewer reads a time beside a transcript line."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _iso_duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"PT{whole // 3600}H{whole % 3600 // 60}M{whole % 60}S"


def _duration_words(seconds: float) -> tuple[str, str]:
    """The duration as the page says it in Vietnamese and in English."""
    whole = max(0, round(seconds))
    hours, minutes, secs = whole // 3600, whole % 3600 // 60, whole % 60
    vi = " ".join(p for p in (f"{hours} giờ" if hours else "", f"{minutes} phút" if minutes else "",
                              f"{secs} giây" if secs or whole == 0 else "") if p)
    en = " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "",
                              f"{secs} s" if secs or whole == 0 else "") if p)
    return vi, en


def _transcript_list(lang: str, lines: Sequence[TranscriptLine], seek_label: str) -> str:
    items = []
    for start, text in lines:
        if not math.isfinite(start) or start < 0:
            raise PageError(f"a {lang} transcript line starts at {start!r} seconds",
                            hint="transcript times are seconds from the programme's start")
        if not _clean(text):
            continue
        items.append(f'<li><button type="button" class="line" data-t="{start:.3f}" '
                     f'aria-label="{esc(seek_label)} {clock(start)}: {esc(text)}">'
                     f'<span class="tc" aria-hidden="true">{clock(start)}</span> '
                     f'<span class="tx">{esc(text)}</span></button></li>')
    return "\n".join(items)


def _credits(credits: Sequence[CreditLine]) -> str:
    if not credits:
        return ""
    rows = "\n".join(f'<div class="credit"><dt>{esc(c.role_vi)} <span lang="en" class="en">/ {esc(c.role_en)}</span>'
                     f"</dt><dd>{esc(c.name)}</dd></div>" for c in credits)
    return (f'<h2 id="credits-h">Thực hiện <span lang="en" class="en">/ Credits</span></h2>\n'
            f'<dl class="credits" aria-labelledby="credits-h">\n{rows}\n</dl>')


def _video(facts: PlayerFacts, *, video_id: str, classes: str, scripted: bool) -> str:
    """The `<video>` element: the HLS master first (video.js plays it through MSE), the progressive
    MP4 second (a browser that plays neither HLS nor MSE still plays that), the subtitles as tracks,
    Vietnamese by default."""
    sources = []
    if scripted:
        sources.append(f'<source src="{esc(facts.master_playlist)}" type="application/x-mpegURL">')
    sources.append(f'<source src="{esc(facts.progressive_mp4)}" type="video/mp4">')
    tracks = (f'<track kind="subtitles" srclang="vi" label="Tiếng Việt" src="{esc(facts.vtt_vi)}" default>\n'
              f'<track kind="subtitles" srclang="en" label="English" src="{esc(facts.vtt_en)}">')
    # without a script nothing sizes the video to its column: a 1080p MP4 would overflow it
    style = "" if scripted else ' style="width:100%;height:auto"'
    return (f'<video id="{video_id}" class="{classes}" controls preload="metadata" playsinline{style} '
            f'poster="{esc(facts.poster)}" aria-label="{esc(facts.title_vi)}">\n'
            + "\n".join(sources) + "\n" + tracks + "\n"
            f'<p>Trình duyệt này không phát được video. <a href="{esc(facts.progressive_mp4)}">Tải tệp MP4</a>'
            f' và <a href="{esc(facts.vtt_vi)}">phụ đề tiếng Việt</a>.</p>\n</video>')


KEYS_VI = ("Phím tắt khi trình phát đang chọn: Cách hoặc K phát/tạm dừng · ← → lùi/tới 5 giây · "
           "↑ ↓ âm lượng · F toàn màn hình · M tắt tiếng · C bật/tắt phụ đề")


def render_index(facts: PlayerFacts) -> str:
    """index.html's text (not yet NFC-normalised as a whole: `write_text` does that)."""
    dur_vi, dur_en = _duration_words(facts.duration_s)
    iso = _iso_duration(facts.duration_s)
    video = _video(facts, video_id="player", classes="video-js vjs-big-play-centered vjs-fluid", scripted=True)
    return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(facts.title_vi)}</title>
<meta name="description" content="{esc(facts.synopsis_vi)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="player/video-js.min.css">
<link rel="stylesheet" href="player/page.css">
</head>
<body>
<a class="skip" href="#transcript">Tới bản ghi lời</a>
<header>
<h1 id="title">{esc(facts.title_vi)}</h1>
<p class="en title-en" lang="en">{esc(facts.title_en)}</p>
</header>
<main>
<div class="layout">
<section class="watch" aria-labelledby="title">
{video}
<p id="keys" class="keys">{esc(KEYS_VI)}</p>
<p class="files">Tải về: <a href="{esc(facts.progressive_mp4)}" download>Video MP4</a> ·
<a href="{esc(facts.vtt_vi)}" download>Phụ đề tiếng Việt (WebVTT)</a> ·
<a href="{esc(facts.vtt_en)}" download lang="en">English subtitles (WebVTT)</a></p>
<p class="embedlink"><a href="index.html" target="_blank" rel="noopener">
Xem bản ghi lời và thông tin chương trình</a></p>
</section>
<section id="transcript" class="transcript" aria-labelledby="transcript-h" tabindex="-1">
<h2 id="transcript-h">Bản ghi lời <span lang="en" class="en">/ Transcript</span></h2>
<div class="tabs" role="tablist" aria-label="Ngôn ngữ của bản ghi lời" hidden>
<button type="button" role="tab" id="tab-vi" aria-controls="tr-vi" aria-selected="true" data-lang="vi">
Tiếng Việt</button>
<button type="button" role="tab" id="tab-en" aria-controls="tr-en" aria-selected="false" data-lang="en"
 lang="en" tabindex="-1">English</button>
</div>
<ol id="tr-vi" class="lines" lang="vi" role="tabpanel" aria-labelledby="tab-vi">
{_transcript_list("vi", facts.transcript_vi, "Tới")}
</ol>
<ol id="tr-en" class="lines" lang="en" role="tabpanel" aria-labelledby="tab-en">
{_transcript_list("en", facts.transcript_en, "Go to")}
</ol>
</section>
</div>
<section class="about" aria-labelledby="about-h">
<h2 id="about-h">Giới thiệu</h2>
<p class="synopsis">{esc(facts.synopsis_vi)}</p>
<div lang="en" class="en-block">
<h2>About the programme</h2>
<p class="title-en">{esc(facts.title_en)}</p>
<p class="synopsis">{esc(facts.synopsis_en)}</p>
</div>
<p class="duration">Thời lượng: <time datetime="{iso}">{dur_vi}</time>
<span lang="en" class="en">/ Duration: {dur_en}</span></p>
{_credits(facts.credits)}
</section>
</main>
<script src="player/video.min.js"></script>
<script src="player/lang/vi.js"></script>
<script src="player/page.js"></script>
</body>
</html>
"""


def render_embed(facts: PlayerFacts) -> str:
    """embed.html: an iframe of the page's player alone (`index.html?embed`), 16:9 at any width."""
    return f"""<!-- {esc(facts.title_vi)}: trình phát để nhúng vào một trang của cổng thông tin.
     Sửa src cho đúng đường dẫn tới thư mục gói trên máy chủ (xem README.txt). -->
<div style="position:relative;width:100%;max-width:960px;aspect-ratio:16/9">
<iframe src="index.html?embed" title="{esc(facts.title_vi)}" lang="vi"
 style="position:absolute;inset:0;width:100%;height:100%;border:0"
 allow="fullscreen; picture-in-picture" allowfullscreen loading="lazy"></iframe>
</div>
"""


def render_embed_mp4(facts: PlayerFacts) -> str:
    """embed-mp4.html: the progressive MP4 with its subtitle tracks and no script, for a CMS that
    takes single files but not a folder (upload the MP4, the poster and both .vtt files)."""
    video = _video(facts, video_id="reportage-mp4", classes="reportage-mp4", scripted=False)
    return (f"<!-- {esc(facts.title_vi)}: chỉ một tệp MP4, hai tệp phụ đề và ảnh poster, không cần thư mục"
            " hay script.\n     Sửa các đường dẫn cho đúng nơi đã tải tệp lên (xem README.txt). -->\n"
            f'<div style="max-width:960px">\n{video}\n</div>\n')


def render_readme(facts: PlayerFacts) -> str:
    """README.txt for the portal's web team: what the server must do for the package to play."""
    mp4, master = facts.progressive_mp4, facts.master_playlist
    return f"""GÓI VIDEO CHO CỔNG THÔNG TIN — {_clean(facts.title_vi)}
{_clean(facts.title_en)}

Thư mục này là một trang xem hoàn chỉnh: mở index.html. Trình phát (video.js {vendor.VERSION}) nằm
trong thư mục player/, mọi đường dẫn đều là đường dẫn tương đối, trang không tải gì từ trang web khác.
Đưa nguyên cả thư mục lên máy chủ, giữ nguyên tên tệp và thư mục con.

Tệp
  index.html       trang xem: video, phụ đề Việt/Anh, bản ghi lời đầy đủ hai thứ tiếng, giới thiệu
  embed.html       đoạn mã nhúng (iframe) chỉ có trình phát; sửa src theo đường dẫn thật
  embed-mp4.html   đoạn mã cho CMS không nhận thư mục: một tệp MP4 + hai tệp .vtt + poster
  {master:<16} danh sách phát HLS (các tệp .m3u8, .m4s cùng thư mục con của nó)
  {mp4:<16} bản MP4 tải dần (progressive) — dùng khi không phát được HLS
  {facts.vtt_vi:<16} phụ đề tiếng Việt (WebVTT, UTF-8)
  {facts.vtt_en:<16} phụ đề tiếng Anh (WebVTT, UTF-8)
  {facts.poster:<16} ảnh poster
  player/          video.js {vendor.VERSION} (giấy phép Apache-2.0: player/LICENSE-video.js.txt)

Máy chủ cần
1. Kiểu MIME đúng:
     .m3u8  application/vnd.apple.mpegurl
     .m4s   video/iso.segment    (video/mp4 cũng được)
     .mp4   video/mp4
     .vtt   text/vtt; charset=utf-8
     .mpd   application/dash+xml
   Sai kiểu MIME: Safari và nhiều TV không phát HLS, phụ đề không hiện.
2. Nén gzip cho danh sách phát và phụ đề (.m3u8, .mpd, .vtt) — là văn bản, nén còn khoảng 1/5.
   KHÔNG nén .m4s, .mp4: đã nén sẵn, và nén làm hỏng yêu cầu theo khoảng byte.
3. Yêu cầu theo khoảng byte (Range, trả 206 Partial Content, có Accept-Ranges: bytes) cho .mp4 và
   .m4s: cần để tua video MP4 và cho Safari/iOS. Máy chủ tĩnh thông thường đã bật sẵn.
4. CORS chỉ cần khi trang của cổng thông tin ở tên miền khác với máy chủ chứa gói MÀ nạp trực tiếp
   {master} hoặc .vtt vào trình phát của mình. Nhúng bằng iframe (embed.html) thì không cần CORS.
   Khi cần: Access-Control-Allow-Origin là tên miền của cổng thông tin (hoặc *), cho .m3u8, .m4s,
   .mpd, .vtt; và Access-Control-Allow-Headers: Range, Access-Control-Expose-Headers: Content-Length,
   Content-Range. Đoạn mã embed-mp4.html đặt trên trang ở tên miền khác với nơi chứa tệp .vtt thì
   thêm crossorigin="anonymous" vào thẻ <video> (và bật CORS cho .vtt như trên), nếu không phụ đề
   không hiện.
5. Bộ nhớ đệm: .m4s và .mp4 có thể lưu lâu (không đổi); .m3u8, .mpd, index.html nên lưu ngắn.

nginx (trong server {{ }}; thay /video/ bằng đường dẫn thật, PORTAL_ORIGIN bằng tên miền cổng thông tin)

    types {{
        application/vnd.apple.mpegurl m3u8;
        video/iso.segment             m4s;
        video/mp4                     mp4;
        text/vtt                      vtt;
        application/dash+xml          mpd;
    }}
    charset utf-8;
    charset_types text/vtt text/html text/plain;
    gzip on;
    gzip_types application/vnd.apple.mpegurl application/dash+xml text/vtt;
    location /video/ {{
        # Range đã bật sẵn cho tệp tĩnh (Accept-Ranges: bytes)
        add_header Access-Control-Allow-Origin "PORTAL_ORIGIN" always;
        add_header Access-Control-Allow-Headers "Range" always;
        add_header Access-Control-Expose-Headers "Content-Length, Content-Range" always;
        if ($request_method = OPTIONS) {{ return 204; }}
    }}
    location ~* \\.(m4s|mp4)$ {{ expires 30d; }}
    location ~* \\.(m3u8|mpd)$ {{ expires 1m; }}

Apache (.htaccess trong thư mục gói, hoặc trong <Directory>; cần mod_mime, mod_deflate, mod_headers)

    AddType application/vnd.apple.mpegurl .m3u8
    AddType video/iso.segment .m4s
    AddType video/mp4 .mp4
    AddType "text/vtt; charset=utf-8" .vtt
    AddType application/dash+xml .mpd
    AddOutputFilterByType DEFLATE application/vnd.apple.mpegurl application/dash+xml text/vtt
    <FilesMatch "\\.(m3u8|m4s|mpd|vtt)$">
        Header set Access-Control-Allow-Origin "PORTAL_ORIGIN"
        Header set Access-Control-Allow-Headers "Range"
        Header set Access-Control-Expose-Headers "Content-Length, Content-Range"
    </FilesMatch>
    # Range (206) là mặc định của Apache cho tệp tĩnh; không bật DEFLATE cho .mp4/.m4s

Kiểm tra nhanh: mở index.html qua máy chủ (không mở thẳng từ ổ đĩa: trình duyệt chặn nạp HLS và
phụ đề khi đó), chọn "Tiếng Việt"/"English" ở nút phụ đề, bấm một dòng bản ghi lời để tua tới đó.

For the ministry (English): open index.html from the web server. The folder plays by itself (video.js
{vendor.VERSION} in player/, every address relative). Serve .m3u8/.m4s/.vtt/.mpd with the MIME types
above, gzip the playlists and .vtt only, keep byte ranges on for .mp4/.m4s, and add CORS only when
another site loads the playlists or subtitles directly (an iframe embed needs none).
"""


def _page_asset(name: str) -> bytes:
    return resources.files("pipeline.publish").joinpath("player", name).read_bytes()


def write_player_page(folder: Path, facts: PlayerFacts, *, require_media: bool = True) -> list[Path]:
    """Write the player page into a web package `folder`: index.html, embed.html, embed-mp4.html,
    README.txt, and `player/` (video.js, checked, and the page's own CSS and script). With
    `require_media`, every file the page points at must already be in the folder: a page that names a
    missing poster or playlist would reach the portal broken. The paths written."""
    for name, what in zip(facts.media_names(), ("master playlist", "progressive MP4", "poster",
                                                "Vietnamese subtitles", "English subtitles"), strict=True):
        _relative_name(name, what)
        if require_media and not (folder / name).is_file():
            raise PageError(f"the player page points at {name}, which is not in the package", path=folder / name,
                            hint="write the streaming package, MP4, poster and subtitles first")
    if not _clean(facts.title_vi) or not _clean(facts.title_en):
        raise PageError("the programme has no title in both languages", path=folder,
                        hint='add `title: {vi: "…", en: "…"}` to the manifest')
    player = folder / "player"
    written = vendor.copy_player_assets(player)
    for name in PAGE_ASSETS:
        write_text(player / name, _page_asset(name).decode("utf-8"))
        written.append(player / name)
    for name, text in (("index.html", render_index(facts)), ("embed.html", render_embed(facts)),
                       ("embed-mp4.html", render_embed_mp4(facts)), ("README.txt", render_readme(facts))):
        write_text(folder / name, text)
        written.append(folder / name)
    return written
