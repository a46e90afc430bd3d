"""video.js for the web package's player page: fetched once at set-up, checked, copied into each package.

The player page must play with no request leaving the package folder (a provincial portal may serve it
from an intranet, and a page that loads its player from a CDN stops playing the day the CDN or the
link to it does). So the player is the video.js 8 *full* build (its smaller builds fetch vtt.js from a
CDN), taken from the npm registry's tarball by `./scripts/setup` (`python -m pipeline.publish.vendor`),
the tarball checked against a pinned SHA-256, and only the files the page uses kept in the cache. Every
web package then gets its own copy in `player/`, each file checked against its own pinned SHA-256
first, so a cache edited or damaged since set-up never reaches a portal.

The stylesheet carries its icon font inline (a data: URI), so there are no font files to keep.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ReportageError
from ..fsutil import sha256_file, write_bytes

PACKAGE = "video.js"
VERSION = "8.24.1"
TARBALL = f"video.js-{VERSION}.tgz"
TARBALL_SHA256 = "ae4c208cb6e8d1f42af45009bfcaead2e5e6ee2de58cf7a67b9413e7ff87a5fd"
"""SHA-256 of `npm pack video.js@8.24.1`: the registry's own tarball, whose sha512 is the registry's
`integrity` (sha512-Qh2WxVyiw6BEvpS95KCoZM8wt10r2iDvembOjHPftVcxY4QR53WVTDQlJEuI1J46Yo9Zw+6rRDIe62C+J+edfQ==)."""

SETUP_HINT = "run ./scripts/setup (it fetches video.js with npm and checks it)"


@dataclass(frozen=True)
class VendoredFile:
    """One file the player page uses: where it is in the npm tarball, where it goes under `player/`."""

    member: str
    name: str
    sha256: str


FILES: tuple[VendoredFile, ...] = (
    VendoredFile("package/dist/video.min.js", "video.min.js",
                 "22394426b1c285f77afd575cd9cd63ae84f033ef08d39b315c2a5c6726d3f8b7"),
    VendoredFile("package/dist/video-js.min.css", "video-js.min.css",
                 "076c48366e8a186bf243d5937f32a97410045612629b6fdbabc389abb6ce5cb9"),
    VendoredFile("package/dist/lang/vi.js", "lang/vi.js",
                 "cb25e271e37a850f4d96dd7451d2a7a4dddda56639fdfa2b00b879b6ab810121"),
    # Apache-2.0: the licence travels with every copy the portal publishes
    VendoredFile("package/LICENSE", "LICENSE-video.js.txt",
                 "25be5c0d5db286add77f5e4d21886800cf38296f50c71fc2d582a2223312b23c"),
)


class VendorError(ReportageError):
    """The player's vendored files are missing or are not the pinned ones."""

    exit_code = 3


def cache_root() -> Path:
    """`$REPORTAGE_VENDOR_CACHE`, else `$XDG_CACHE_HOME/reportage/vendor`, else `~/.cache/reportage/vendor`
    (beside the models, so one cache folder holds everything set-up fetched)."""
    override = os.environ.get("REPORTAGE_VENDOR_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "reportage" / "vendor"


def vendor_dir() -> Path:
    """The extracted files of the pinned version (a new version gets a new folder, never a mix)."""
    return cache_root() / f"{PACKAGE}-{VERSION}"


def player_files() -> list[tuple[Path, str]]:
    """Each vendored file in the cache with its name under `player/`, every one checked against its
    pinned SHA-256; VendorError naming the file and ./scripts/setup when one is missing or differs."""
    folder = vendor_dir()
    found: list[tuple[Path, str]] = []
    for item in FILES:
        path = folder / item.name
        if not path.is_file():
            raise VendorError(f"video.js {VERSION} is not set up: {item.name} is missing", path=path,
                              hint=SETUP_HINT)
        if sha256_file(path) != item.sha256:
            raise VendorError(f"{item.name} is not video.js {VERSION}'s own file (its SHA-256 differs)",
                              path=path, hint=f"delete {folder} and {SETUP_HINT}")
        found.append((path, item.name))
    return found


def copy_player_assets(player_dir: Path) -> list[Path]:
    """Copy the checked video.js files into a web package's `player/` folder; the paths written."""
    written = []
    for source, name in player_files():
        target = player_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(target, source.read_bytes(), min_bytes=1)
        written.append(target)
    return written


def _npm_pack(into: Path) -> Path:
    """`npm pack video.js@VERSION` into `into`: the registry's tarball as published."""
    npm = shutil.which("npm")
    if not npm:
        raise VendorError("npm is not installed; it fetches video.js for the player page",
                          hint="apt-get install npm (./scripts/setup does)")
    proc = subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(into), "--silent"],
                          capture_output=True, text=True, check=False)
    tarball = into / TARBALL
    if proc.returncode != 0 or not tarball.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise VendorError(f"npm pack {PACKAGE}@{VERSION} failed: {tail[0]}",
                          hint="is the npm registry reachable from this machine? then run ./scripts/setup again")
    return tarball


def fetch() -> Path:
    """Set-up's step: fetch the pinned tarball (kept in the cache, so a second set-up needs no
    network), check its SHA-256, extract only the page's files. Idempotent; the folder it fills."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    try:
        player_files()
        return vendor_dir()
    except VendorError:
        pass
    tarball = root / TARBALL
    if not tarball.is_file() or sha256_file(tarball) != TARBALL_SHA256:
        with tempfile.TemporaryDirectory(dir=root, prefix=".npm-pack.") as tmp:
            packed = _npm_pack(Path(tmp))
            got = sha256_file(packed)
            if got != TARBALL_SHA256:
                raise VendorError(f"the npm registry's {TARBALL} has SHA-256 {got}, not the pinned "
                                  f"{TARBALL_SHA256}; nothing was installed", path=packed,
                                  hint="the published package changed: do not use it; tell the maintainers")
            os.replace(packed, tarball)
    data = tarball.read_bytes()
    if hashlib.sha256(data).hexdigest() != TARBALL_SHA256:  # the bytes read are the bytes checked
        raise VendorError(f"{TARBALL} changed while it was read", path=tarball, hint=SETUP_HINT)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for item in FILES:
            member = archive.extractfile(item.member)
            if member is None:
                raise VendorError(f"{item.member} is not in {TARBALL}", path=tarball)
            write_bytes(vendor_dir() / item.name, member.read(), min_bytes=1)
    player_files()
    return vendor_dir()


def vendor_report() -> dict[str, Any]:
    """`reportage doctor`'s row for the player page's video.js."""
    try:
        player_files()
    except VendorError as exc:
        return {"check": "player video.js", "ok": False, "detail": exc.one_line()}
    return {"check": "player video.js", "ok": True,
            "detail": f"video.js {VERSION} (npm tarball sha256 {TARBALL_SHA256[:12]}…) in {vendor_dir()}, "
                      f"{len(FILES)} files verified"}


def main() -> int:
    """`python -m pipeline.publish.vendor`: what ./scripts/setup runs; one line either way."""
    try:
        folder = fetch()
    except ReportageError as exc:
        print(f"setup: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    print(f"setup: video.js {VERSION} for the player page in {folder} (verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
