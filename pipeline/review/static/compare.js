// Version compare (issue 28): the version kept at the last approval against the render now, for the
// deliverable watched. Loaded after programme.js and comments.js, whose player, clock and `call` it
// uses. The server says per deliverable whether the kept file differs from the current one
// (pipeline/review/compare.py); only then is the comparison offered: the main player swapped between
// the two at the same programme time, keeping play or pause (V), or the approved one beside it, kept
// in sync with it. Otherwise one calm line says why there is nothing to compare.
"use strict";
(() => {
  const bar = $("compare"), stage = $("stage");
  let view = null, entry = null, picture = "current", side = null;

  const when = (at) => (at || "").replace("T", " ").replace("Z", " UTC");
  const approver = (e) => `${e.by || "?"}, ${when(e.at)}`;
  const CALM = {
    none: () => "Chưa có bản nào được duyệt để so sánh. / Nothing approved yet to compare with.",
    same: (e) => `Bản đang xem chính là bản đã duyệt (${approver(e)}). / The current render is the approved one.`,
    skipped: (e) => `Bản đã duyệt không được giữ để so sánh: ${e.reason}`,
    unplayable: (e) => `Không so sánh được: ${e.reason || "bản này không phát được / not playable"}`,
    damaged: () => "Tệp đã duyệt giữ lại đã bị thay đổi, không so sánh được. / The kept approved file has changed; cannot compare.",
  };

  // -- the main player swapped between the current render and the approved one --------------------------
  function fileUrl(which) {
    return which === "approved" ? entry.approved.url : `/files/${encodeURIComponent(pid)}/${entry.current.url}`;
  }
  function show(which) {
    if (!entry || entry.state !== "differs" || picture === which) return;
    const at = progMs(), paused = video.paused && !reverseTimer, rate = video.playbackRate;
    stopReverse();
    picture = which;
    const was = offset;
    offset = which === "approved" ? entry.approved.offset_s : entry.current.offset_s;
    video.addEventListener("loadedmetadata", () => {
      seekMs(at);  // the same programme frame, whatever the two files' leaders or excerpts
      video.playbackRate = rate;
      if (!paused) video.play().catch(() => {});
      document.body.dataset.picture = which;
    }, { once: true });
    video.src = fileUrl(which);
    // the tracks stay with the player across files; moved only when the two files' offsets differ
    // (reloaded then: comments.js shifts a track by the offset once, as it loads)
    if (offset !== was) setTracks();
    badge();
    buttons();
  }
  function badge() {
    let node = $("cmpbadge");
    if (picture !== "approved") { if (node) node.remove(); return; }
    if (!node) { node = el("div", { id: "cmpbadge" }); stage.append(node); }
    node.textContent = `Bản đã duyệt / Approved — ${approver(entry)}`;
  }

  // -- side by side: the approved one beside the player, following it ------------------------------------
  function openSide() {
    if (side || !entry || entry.state !== "differs") return;
    show("current");
    const other = el("video", { id: "approvedvideo", preload: "auto", playsinline: "", title: "Bản đã duyệt / Approved" });
    other.muted = true;
    other.src = entry.approved.url;
    const capA = el("div", { class: "cmpcap cmpcap-a", id: "cmpcapa", title: `Bản đã duyệt / Approved — ${approver(entry)}` }, el("b", { text: "Bản đã duyệt / Approved" }),
      el("span", { text: ` — ${approver(entry)}` }));
    const capC = el("div", { class: "cmpcap cmpcap-c", id: "cmpcapc" }, el("b", { text: "Bản hiện tại / Current" }));
    stage.prepend(capA, capC, other);
    stage.classList.add("sbs");
    side = { other, nodes: [capA, capC, other] };
    other.addEventListener("loadedmetadata", follow);
    other.addEventListener("seeked", () => { stage.dataset.synced = String(Date.now()); });
    document.body.dataset.picture = "side";
    buttons();
  }
  function closeSide() {
    if (!side) return;
    side.other.pause();
    side.other.removeAttribute("src"); side.other.load();
    for (const n of side.nodes) n.remove();
    side = null;
    stage.classList.remove("sbs");
    if (document.body.dataset.picture === "side") document.body.dataset.picture = picture;
  }
  function follow() {  // the approved video at the main player's programme time, playing as it plays
    if (!side || side.other.readyState < 1) return;
    const other = side.other, end = Number.isFinite(other.duration) ? other.duration - 0.001 : Infinity;
    const want = Math.max(0, Math.min(end, video.currentTime - offset + entry.approved.offset_s));
    if (video.paused || reverseTimer) {
      if (!other.paused) other.pause();
      if (Math.abs(other.currentTime - want) > 0.002) other.currentTime = want;
    } else {
      if (other.playbackRate !== video.playbackRate) other.playbackRate = video.playbackRate;
      if (other.paused) other.play().catch(() => {});
      if (Math.abs(other.currentTime - want) > 0.12) other.currentTime = want;  // drift: caught up
    }
  }
  for (const ev of ["play", "pause", "seeking", "seeked", "ratechange", "timeupdate"]) video.addEventListener(ev, follow);
  (function loop() { if (side && !video.paused) follow(); requestAnimationFrame(loop); })();

  // -- the bar ---------------------------------------------------------------------------------------------
  function mode() { return side ? "side" : picture; }
  function buttons() {
    for (const b of bar.querySelectorAll("button[data-mode]")) {
      const on = b.dataset.mode === mode();
      b.classList.toggle("on", on); b.setAttribute("aria-pressed", String(on));
    }
    bar.dataset.mode = mode();
  }
  function choose(which) {
    if (which === "side") { openSide(); return; }
    closeSide(); show(which); buttons();
  }
  function reset() {  // another deliverable chosen (comments.js has loaded its current render)
    closeSide();
    picture = "current";
    badge();
    delete document.body.dataset.picture;
  }
  function render() {
    const name = document.body.dataset.watching;
    entry = view && name ? view.deliverables[name] || null : null;
    bar.hidden = !view || !name;
    bar.dataset.state = view && view.state === "unreadable" ? "unreadable" : entry ? entry.state : "none";
    if (!entry || entry.state !== "differs") {
      const text = view && view.state === "unreadable" ? `Không đọc được bản đã duyệt giữ lại / Cannot read the kept approved versions: ${view.error}`
        : (CALM[bar.dataset.state] || CALM.none)(entry || {});
      bar.replaceChildren(el("span", { class: "calm", id: "cmpcalm", text }));
      return;
    }
    const pick = (m, text, title) => el("button", { "data-mode": m, text, title, onclick: () => choose(m) });
    bar.replaceChildren(
      el("span", { class: "cmphead", text: "So sánh với bản đã duyệt / Compare with the approved version:" }),
      el("span", { class: "btns", role: "group" },
        pick("current", "Bản hiện tại / Current", "Xem bản dựng hiện tại (V: đổi qua lại)"),
        pick("approved", "Bản đã duyệt / Approved", "Xem bản đã duyệt tại cùng thời điểm (V: đổi qua lại)"),
        pick("side", "Cạnh nhau / Side by side", "Hai bản cạnh nhau, chạy cùng nhau")),
      el("span", { class: "sub", id: "cmpwho", text: `Duyệt bởi / approved by ${approver(entry)}` }));
    buttons();
  }
  async function load() {
    let fresh;
    try { fresh = await call("/compare"); } catch (e) { fresh = { state: "unreadable", error: e.message, deliverables: {} }; }
    const next = fresh.deliverables[document.body.dataset.watching];
    if (entry && entry.state === "differs" && (!next || next.state !== "differs" || next.approved.url !== entry.approved.url)) {
      closeSide(); show("current");  // a new approval: back to the current render before the old kept one goes
    }
    view = fresh;
    render();
  }

  // V flips between the current render and the approved one (not while typing, as programme.js's keys)
  document.addEventListener("keydown", (ev) => {
    if (ev.key.toLowerCase() !== "v" || typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (!entry || entry.state !== "differs") return;
    ev.preventDefault();
    choose(mode() === "approved" ? "current" : "approved");
  });
  new MutationObserver(() => { reset(); render(); }).observe(document.body, { attributeFilter: ["data-watching"] });
  document.addEventListener("review:info", () => { load(); });
  document.addEventListener("review:changed", (ev) => { if (ev.detail.path.startsWith("/approval")) load(); });
})();
