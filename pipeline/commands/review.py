"""`reportage review [MANIFEST]`: the review room in the browser (pipeline/review/).

Binds 127.0.0.1 unless told `--host`; any other address is reachable by the team's network, so it
requires a token (printed here, sent with every request). Either way the room answers only to its
own addresses and names (`--allow-host` adds one) and takes changes only from its own page
(`review/origin.py`). With no manifest it serves every programme of the workspace, listed with stage
states, QC verdict and approval.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

from .. import ui
from ..errors import ReportageError
from ..validate import load_manifest
from .common import Ctx, pass_ctx


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("review")
@click.argument("manifest", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback (e.g. 0.0.0.0) requires a token.")
@click.option("--token", default=None, help="Token for LAN mode (default: a new random one, printed).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="In LAN mode, another host name reviewers use to reach this machine (repeatable); "
                   "any other Host header is refused.")
@click.option("--producer", "producers", multiple=True, metavar="NAME",
              help="A producer, who may delete anyone's note (repeatable; authors may delete their own).")
@pass_ctx
def review(c: Ctx, manifest: Path | None, port: int, host: str, token: str | None,
           allow_hosts: tuple[str, ...], producers: tuple[str, ...]) -> None:
    """Open the review room: watch, correct cues, note and approve in the browser."""
    import socket

    import uvicorn

    from ..review.app import create_app
    from ..review.auth import new_token
    from ..review.origin import network_names

    programme = load_manifest(manifest) if manifest is not None else None
    root = c.workspace_root.absolute()
    if not root.is_dir():
        raise ReportageError("the workspace does not exist", path=root, hint="run a stage first, or pass --workspace")
    names: frozenset[str] = frozenset()
    if not is_loopback(host):
        token = token or new_token()
        names = network_names(host, allow_hosts)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ReportageError(f"cannot listen on {host}:{port} ({exc.strerror})",
                             hint="choose another --port, or 0 for any free one") from None
    bound = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    address = f"http://{shown}:{bound}/" + (f"p/{programme.id}" if programme else "")
    if token:
        address += f"?token={token}"
    if c.as_json:
        ui.emit_json({"address": address, "host": host, "port": bound, "token": token,
                      "programme": programme.id if programme else None, "workspace": str(root)})
    else:
        ui.say(f"review room: {address}", False)
        if token:
            ui.say(f"  token: {token} (send it as ?token=, or the X-Review-Token header)", False)
        ui.say("  Ctrl-C to stop", False)
    sys.stdout.flush()  # the address is read by whoever started us while we keep running
    sys.stderr.flush()
    app = create_app(root, programme, token, names, producers)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
