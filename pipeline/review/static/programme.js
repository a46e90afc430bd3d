// The programme page of the review room: player, cue list (vi | en), notes, approval, QC, rushes.
// Plain script, no build step, no network beyond this server.
"use strict";

const pid = decodeURIComponent(location.pathname.split("/")[2]);
const api = `/api/p/${encodeURIComponent(pid)}`;
const $ = (id) => document.getElementById(id);
const video = $("video");
let info = null, fps = 25, frame = 0.04, offset = 0, board = null, rows = [], marks = [], notes = [];
let shuttle = 0, reverseTimer = null;
let rateNum = 25, rateDen = 1, startFrame = 0;  // the programme rate, exact; its first frame as a timecode count

// Each cue's origin in its own language (the server sends its label; these are for an older server).
const ORIGIN = { script: "Kịch bản", recognised: "Nhận dạng giọng nói", machine: "Bản dịch máy", reviewed: "Đã duyệt",
                 imported: "Nhập từ tệp", shortened: "Bản dịch bị cắt ngắn (…)" };
const APPROVAL = { approved: "Đã duyệt", stale: "Đã thay đổi sau khi duyệt", changes_requested: "Yêu cầu sửa",
                   none: "Chưa duyệt", unreadable: "Không đọc được" };
const VERDICT = { PASS: "Đạt", WARN: "Cảnh báo", FAIL: "Lỗi", INFO: "Thông tin" };

// Every change carries this server session's token in a header, which no other site's page can send
// (pipeline/review/origin.py); asked for once, again after a failure.
let csrf = null;
function csrfToken() {
  csrf = csrf || fetch("/api/session").then((r) => r.json()).then((d) => d.csrf)
    .catch((e) => { csrf = null; throw e; });
  return csrf;
}
async function call(path, opts = {}) {
  const init = { ...opts, headers: { "content-type": "application/json", ...(opts.headers || {}) } };
  if ((init.method || "GET") !== "GET") init.headers["x-review-csrf"] = await csrfToken();
  if (init.body && typeof init.body !== "string") init.body = JSON.stringify(init.body);
  const res = await fetch(api + path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) { const err = new Error(data.error || res.statusText); err.status = res.status; err.hint = data.hint; err.data = data; throw err; }
  // a change (a cue saved, a note) may change what approval means now: the approval section listens
  if ((init.method || "GET") !== "GET") document.dispatchEvent(new CustomEvent("review:changed", { detail: { path, data } }));
  return data;
}
function el(tag, attrs = {}, ...kids) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null) node.append(kid);
  return node;
}
function say(id, text, good) { const m = $(id); m.textContent = text; m.className = "msg " + (good ? "good" : "bad"); }
function errText(e) { return (e.status === 409 ? "Xung đột: " : e.status === 423 ? "Đang bận: " : "Không lưu được: ")
  + e.message + (e.hint ? " — " + e.hint : ""); }

// -- time -------------------------------------------------------------------------------------------
// Programme frames count from 0 at the programme rate; the page shows them as broadcast timecode from
// the programme's start (10:00:00:00 unless a profile sets another: the start the masters and the NLE
// exports carry, served as `clock`). File time = programme time + offset (the player's leader or
// excerpt). A paused player always rests on the centre of a frame: a pause or a seek can leave
// currentTime at a frame's edge, where the picture and the frame counted from the time disagree.
function lastFrame() {
  const byFile = Number.isFinite(video.duration) ? Math.ceil((video.duration - offset) * fps - 1e-6) - 1 : Infinity;
  const byProgramme = info ? frameAt(info.duration_ms) - 1 : Infinity;
  return Math.max(0, Math.min(byFile, byProgramme));
}
function progFrame() { return Math.max(0, Math.min(lastFrame(), Math.floor((video.currentTime - offset) * fps + 1e-6))); }
function progMs() { return Math.round(progFrame() * 1000 * rateDen / rateNum); }
function frameAt(ms) {
  // the nearest frame, halves to even, exactly as pipeline/timecode.py's Timecode.from_ms rounds
  const n = Math.round(ms) * rateNum, d = 1000 * rateDen;
  let q = Math.floor(n / d);
  const r = n - q * d;
  if (2 * r > d || (2 * r === d && q % 2)) q += 1;
  return q;
}
function centre(f) { return (f + 0.5) / fps + offset; }
function seekFrame(f) { video.currentTime = centre(Math.max(0, Math.min(lastFrame(), f))); }
function snap() {
  if (!video.paused || reverseTimer || video.seeking || video.readyState < 1) return;
  const want = centre(progFrame());
  if (Math.abs(video.currentTime - want) > 1e-4) video.currentTime = want;
}
function tcOf(count) {  // a frame count from 00:00:00:00 as HH:MM:SS:FF, non-drop (pipeline/timecode.py)
  const nominal = Math.max(1, Math.round(fps)), ff = count % nominal, s = Math.floor(count / nominal);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}:${p(ff)}`;
}
function tc(ms) { return tcOf(startFrame + frameAt(ms)); }  // programme time as broadcast timecode
function clipTc(ms) { return tcOf(frameAt(ms)); }  // a clip's own time (the rushes), from zero
function parseTc(text) {  // broadcast timecode → programme frame, null when it is not one or before the start
  const m = /^\s*(\d{1,2}):(\d{2}):(\d{2})[:;](\d{2})\s*$/.exec(text);
  const nominal = Math.max(1, Math.round(fps));
  if (!m || Number(m[2]) > 59 || Number(m[3]) > 59 || Number(m[4]) >= nominal) return null;
  const f = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * nominal + Number(m[4]) - startFrame;
  return f >= 0 ? f : null;
}
function seekMs(ms) { stopReverse(); seekFrame(frameAt(ms)); showTime(); }
function stepFrames(n) { video.pause(); stopReverse(); seekFrame(progFrame() + n); }
function showTime() {
  const ms = progMs();
  $("tc").textContent = tcOf(startFrame + progFrame());
  $("tc").dataset.frame = String(progFrame());
  $("play").textContent = video.paused && !reverseTimer ? "▶︎ Phát" : "❚❚ Dừng";
  const dur = info ? info.duration_ms : 1;
  $("head").style.left = `${Math.min(100, ms / dur * 100)}%`;
  follow(ms);
}
function stopReverse() { if (reverseTimer) { clearInterval(reverseTimer); reverseTimer = null; } }
function shuttleKey(key) {
  if (key === "k") { shuttle = 0; video.pause(); stopReverse(); video.playbackRate = 1; snap(); }
  else if (key === "l") {
    stopReverse(); shuttle = shuttle > 0 ? Math.min(shuttle * 2, 8) : 1;
    video.playbackRate = shuttle; video.play();
  } else if (key === "j") {
    video.pause(); shuttle = shuttle < 0 ? Math.max(shuttle * 2, -8) : -1;
    stopReverse();
    const speed = -shuttle;
    reverseTimer = setInterval(() => {
      const t = video.currentTime - speed * 0.1;
      if (t <= offset) { stopReverse(); shuttle = 0; seekFrame(0); } else video.currentTime = t;
      showTime();
    }, 100);
  }
  showTime();
}
// A key means the same whatever has focus, except where text is typed: the track menu, a button or a
// tab keeps ←/→ a frame step and Space play/pause (caught before the focused element sees them).
function typing(t) {
  if (!(t instanceof Element)) return false;
  if (t.closest("textarea, [contenteditable='true']")) return true;
  return t.matches("input") && !t.readOnly && !["button", "checkbox", "radio", "range", "submit", "reset"].includes(t.type);
}
document.addEventListener("keydown", (ev) => {
  if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key.toLowerCase();
  if (["j", "k", "l"].includes(k)) shuttleKey(k);
  else if (k === " ") { if (video.paused) shuttleKey("l"); else shuttleKey("k"); }
  else if (k === "arrowleft" || k === ",") stepFrames(-1);
  else if (k === "arrowright" || k === ".") stepFrames(1);
  else if (k === "i") setNote("in"); else if (k === "o") setNote("out");
  else if (k === "n") jumpUnsure(ev.shiftKey ? -1 : 1);
  else if (k === "d") markSelected();
  else return;
  ev.preventDefault();
}, true);
$("play").onclick = () => (video.paused && !reverseTimer ? shuttleKey("l") : shuttleKey("k"));
$("back").onclick = () => stepFrames(-1);
$("fwd").onclick = () => stepFrames(1);
video.addEventListener("timeupdate", showTime);
video.addEventListener("seeked", () => { showTime(); snap(); });
video.addEventListener("pause", () => { showTime(); snap(); });
function tick() { if (!video.paused) showTime(); requestAnimationFrame(tick); }
requestAnimationFrame(tick);

// -- player and tracks -------------------------------------------------------------------------------
function setTracks(version) {
  for (const t of [...video.querySelectorAll("track")]) t.remove();
  const chosen = $("track").value;
  for (const t of info.tracks) {
    const node = el("track", { kind: "subtitles", srclang: t.lang, label: t.label,
                               src: `/files/${encodeURIComponent(pid)}/${t.url}?v=${version || Date.now()}` });
    video.append(node);
  }
  applyTrack(chosen);
}
function applyTrack(lang) {
  for (const t of video.textTracks) {
    const mode = t.language === lang ? "showing" : "disabled";
    if (t.mode !== mode) t.mode = mode;
  }
}
// Used and let go: a menu left focused would take the next ← or → as "previous/next track".
$("track").onchange = () => { applyTrack($("track").value); $("track").blur(); };
// The browser may pick a track by its own language preference once the media loads: the menu decides.
video.textTracks.addEventListener("change", () => applyTrack($("track").value));
video.addEventListener("loadedmetadata", () => { applyTrack($("track").value); snap(); showTime(); });  // past any leader

// -- cues -------------------------------------------------------------------------------------------
function pairRows(vi, en) {
  // One row per Vietnamese cue with the English cues that overlap it; English alone gets its own row.
  const out = vi.map((c) => ({ start: c.start_ms, end: c.end_ms, vi: [c], en: [] }));
  for (const c of en) {
    let best = null, most = 0;
    for (const r of out) {
      const shared = Math.min(r.end, c.end_ms) - Math.max(r.start, c.start_ms);
      if (shared > most) { most = shared; best = r; }
    }
    if (best) best.en.push(c); else out.push({ start: c.start_ms, end: c.end_ms, vi: [], en: [c] });
  }
  out.sort((a, b) => a.start - b.start);
  return out;
}
function num(v) { return typeof v === "number" ? String(Math.round(v * 10) / 10).replace(".", ",") : v; }
function issueText(i) {
  const measured = i.value != null && i.value !== "" ? `: ${num(i.value)}` + (i.limit != null && i.limit !== "" ? ` (giới hạn ${num(i.limit)})` : "") : "";
  return `${i.severity === "error" ? "✖" : "⚠"} ${i.label}${measured}`;
}
function cueCell(lang, cue, all) {
  const box = el("div", { class: "cue", "data-lang": lang, "data-no": String(cue.no), "data-start": String(cue.start_ms) });
  box.append(el("div", { class: "meta" },
    el("span", { class: "tc", text: `#${cue.no} ${tc(cue.start_ms)} → ${tc(cue.end_ms)}` }),
    el("span", { class: `origin ${cue.origin}`, text: cue.origin_label || ORIGIN[cue.origin] || cue.origin,
                 title: cue.by ? `${cue.origin_label || ORIGIN[cue.origin]} — ${cue.by}` : "" }),
    el("button", { class: "edit", text: "Sửa", title: "Sửa câu này", onclick: (ev) => { ev.stopPropagation(); openEditor(box, lang, cue, all); } }),
    PERSONS.includes(cue.origin) ? null : el("button", { class: "markreviewed", text: "✓ Duyệt",
      title: "Đánh dấu câu này là đã duyệt mà không sửa (phím D với câu đang chọn)",
      onclick: (ev) => { ev.stopPropagation(); markReviewed(lang, cue); } })));
  box.append(markedText(cue.text, cue.uncertain || []));
  for (const issue of cue.issues) box.append(el("div", { class: `issue ${issue.severity}`, title: issue.message, text: issueText(issue) }));
  box.addEventListener("click", (ev) => { if (!ev.target.closest(".editor")) { selectCue(box); seekMs(cue.start_ms); } });
  return box;
}
// "Reviewed" is a person's word on one cue: a cue they saved, or one they read (a machine draft, a
// cue with uncertain words heard again) and mark here without retyping it. Only that cue is theirs.
const PERSONS = ["reviewed", "imported"];
function selectCue(box) {
  document.querySelectorAll(".cue.selected").forEach((n) => n.classList.remove("selected"));
  box.classList.add("selected");
}
async function markReviewed(lang, cue) {
  try {
    const data = await call(`/cues/${lang}/${cue.no}/review`, { method: "POST", body: { version: cue.version } });
    board = data.board; renderCues();
    const again = document.querySelector(`#cues .cue[data-lang='${lang}'][data-no='${cue.no}']`);
    if (again) selectCue(again);
    say("cmsg", `Đã đánh dấu đã duyệt (${lang} #${cue.no}).`, true);
  } catch (e) {
    say("cmsg", errText(e), false);
    if (e.status === 409) { board = await call("/cues"); renderCues(); }
  }
}
function markSelected() {
  const box = document.querySelector("#cues .cue.selected");
  const cue = box && board[box.dataset.lang].cues[Number(box.dataset.no) - 1];
  if (!cue) { say("cmsg", "Chọn một câu trước (bấm vào câu, hoặc N), rồi nhấn D.", false); return; }
  if (PERSONS.includes(cue.origin)) { say("cmsg", `Câu ${box.dataset.lang} #${cue.no} đã là của người duyệt.`, true); return; }
  markReviewed(box.dataset.lang, cue);
}
// Uncertain recognised words: spans of the cue's text from the subtitles record. The text stays one
// run of characters (the words are inline spans), so copying, the browser's search and the editor
// see the cue exactly as written.
function confidence(p) { return `${Math.round(p * 100)} %`; }
function unsureTitle(p) { return `Từ nhận dạng chưa chắc chắn — độ tin cậy ${confidence(p)}`; }
function markedText(text, marks) {
  const box = el("div", { class: "text" });
  let at = 0;
  for (const m of marks.slice().sort((a, b) => a.start - b.start)) {
    if (m.start < at || m.end > text.length) continue;
    box.append(text.slice(at, m.start));
    box.append(el("span", { class: "unsure", title: unsureTitle(m.probability), "data-ms": String(m.at_ms), "data-p": String(m.probability),
                            onclick: (ev) => { ev.stopPropagation(); goUnsure(unsure.findIndex((u) => u.node === ev.currentTarget)); } },
                  text.slice(m.start, m.end)));
    at = m.end;
  }
  box.append(text.slice(at));
  return box;
}
let unsure = [], unsureAt = -1, unsureFrame = -1;
function collectUnsure() {
  unsure = [...document.querySelectorAll("#cues .cue[data-lang='vi'] .unsure")].map((node) => ({
    node, ms: Number(node.dataset.ms), cue: node.closest(".cue") }));
  unsure.sort((a, b) => a.ms - b.ms);
  unsureAt = -1;
  $("unsurebar").hidden = !unsure.length;
  const cues = new Set(unsure.map((u) => u.cue)).size;
  $("unsurestat").textContent = unsure.length ? `${unsure.length} từ nhận dạng chưa chắc chắn trong ${cues} câu` : "";
}
function goUnsure(i) {
  if (i < 0 || i >= unsure.length) return;
  const u = unsure[i];
  unsureAt = i;
  document.querySelectorAll(".unsure.focus, .cue.selected").forEach((n) => n.classList.remove("focus", "selected"));
  u.node.classList.add("focus"); u.cue.classList.add("selected");
  video.pause(); stopReverse(); shuttle = 0;
  seekMs(u.ms);
  unsureFrame = progFrame();  // where the playhead is now: N from here steps on from this word
  // the word in the middle of the cue list, and the list (its N button on top) in view: under the
  // player on a phone, where the page scrolls
  const list = $("cues"), box = list.getBoundingClientRect(), at = u.node.getBoundingClientRect();
  list.scrollTop += at.top - box.top - (box.height - at.height) / 2;
  if (matchMedia("(max-width: 900px)").matches) $("right").scrollIntoView({ block: "start" });
  $("unsurestat").textContent = `Từ ${i + 1}/${unsure.length}: “${u.node.textContent}” · câu #${u.cue.dataset.no} · ${tc(u.ms)} · độ tin cậy ${confidence(Number(u.node.dataset.p))}`;
}
function jumpUnsure(step) {
  if (!unsure.length) { say("cmsg", "Không còn từ nhận dạng chưa chắc chắn nào.", true); return; }
  const f = progFrame();
  let i;
  if (unsureAt >= 0 && unsureFrame === f) i = unsureAt + step;  // the playhead has not moved since
  else if (step > 0) i = unsure.findIndex((u) => frameAt(u.ms) > f);
  else i = unsure.map((u) => frameAt(u.ms) < f).lastIndexOf(true);
  if (i < 0 || i >= unsure.length) i = step > 0 ? 0 : unsure.length - 1;  // round the programme
  goUnsure(i);
}
$("nextunsure").onclick = () => jumpUnsure(1);
$("prevunsure").onclick = () => jumpUnsure(-1);
function renderCues() {
  const list = $("cues");
  list.replaceChildren();
  const vi = board.vi.cues, en = board.en.cues;
  rows = pairRows(vi, en);
  for (const r of rows) {
    const row = el("div", { class: "row" });
    const a = el("div"), b = el("div");
    for (const c of r.vi) a.append(cueCell("vi", c, vi));
    for (const c of r.en) b.append(cueCell("en", c, en));
    row.append(a, b);
    r.node = row;
    list.append(row);
  }
  $("vistat").textContent = `${vi.length} câu · ${board.vi.errors} lỗi · ${board.vi.warnings} cảnh báo`;
  collectUnsure();
  $("enstat").textContent = `${en.length} cues · ${board.en.errors} lỗi · ${board.en.warnings} cảnh báo`;
}
let currentRow = null;
function follow(ms) {
  const r = rows.find((x) => x.start <= ms && ms < x.end) || null;
  if (r === currentRow) return;
  if (currentRow && currentRow.node) currentRow.node.classList.remove("current");
  currentRow = r;
  if (r && r.node) { r.node.classList.add("current"); if (!document.querySelector(".editor")) keepInList(r.node); }
}
// The playing row kept in view inside the cue list only: scrolling the page too would, on a phone,
// pull the title and the player away while it plays.
function keepInList(node) {
  const list = $("cues"), box = list.getBoundingClientRect(), at = node.getBoundingClientRect();
  if (at.top < box.top) list.scrollTop += at.top - box.top;
  else if (at.bottom > box.bottom) list.scrollTop += Math.min(at.top - box.top, at.bottom - box.bottom);
}
// An in or out point as the editor reads it everywhere else: broadcast timecode, one frame at a time
// (−1/+1, or ↓/↑ in the field; Shift for a second), the player showing the frame it names. The
// server turns it into milliseconds (pipeline/review/clock.py), so the page never does that sum.
function tcField(cls, ms, what) {
  const input = el("input", { class: `tcin ${cls}`, value: tc(ms), size: "11", spellcheck: "false", autocomplete: "off",
                              title: `${what} (HH:MM:SS:FF) — ↑/↓: một khung hình, Shift: một giây` });
  input.dataset.orig = input.value;
  const set = (f) => { input.value = tcOf(startFrame + f); input.classList.remove("bad"); seekFrame(f); };
  const nudge = (n) => {
    const f = parseTc(input.value);
    if (f == null) { input.classList.add("bad"); return; }
    set(Math.max(0, f + n));
  };
  input.addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowUp" && ev.key !== "ArrowDown") return;
    ev.preventDefault();
    nudge((ev.key === "ArrowUp" ? 1 : -1) * (ev.shiftKey ? Math.round(fps) : 1));
  });
  input.addEventListener("input", () => input.classList.toggle("bad", parseTc(input.value) == null));
  const nodes = [
    el("button", { class: "nudge minus", text: "−1", title: `${what}: lùi một khung hình (↓)`, onclick: () => nudge(-1) }), input,
    el("button", { class: "nudge plus", text: "+1", title: `${what}: tiến một khung hình (↑)`, onclick: () => nudge(1) }),
    el("button", { class: "here", text: "= đầu phát", title: `${what} = khung hình đang xem`, onclick: () => set(progFrame()) })];
  // what a save sends: the timecode when the reviewer changed it, nothing when not (the cue's own ms stand)
  const value = () => {
    const v = input.value.trim();
    if (v === input.dataset.orig) return undefined;
    if (parseTc(v) == null) throw new Error(`${what} “${v}” không phải mã thời gian (HH:MM:SS:FF, từ ${tcOf(startFrame)})`);
    return v;
  };
  return { input, nodes, value };
}
function openEditor(box, lang, cue, all) {
  document.querySelectorAll(".editor").forEach((e) => e.remove());
  const text = el("textarea", { class: "cuetext" }); text.value = cue.text;
  const inp = tcField("cuein", cue.start_ms, "Điểm vào"), out = tcField("cueout", cue.end_ms, "Điểm ra");
  const next = all[cue.no];  // the cue after this one (numbers are 1-based)
  const send = async (action, body) => {
    try {
      const data = await call(`/cues/${lang}/${cue.no}/${action}`, { method: "POST", body: { version: cue.version, ...body } });
      board = data.board; renderCues(); setTracks();
      const s = data.saved, probs = s.issues.map(issueText).join("; ");
      say("cmsg", `Đã lưu (${lang} #${s.touched.join(", #")}). ` + (probs ? `Kiểm tra: ${probs}` : "Kiểm tra: không có lỗi."), !s.issues.some((i) => i.severity === "error"));
    } catch (e) {
      if (e.data && e.data.unchanged) {  // e.g. pasted decomposed Vietnamese that reads the same: not a failure
        $("cmsg").textContent = "Không có gì thay đổi: nội dung giống hệt câu đã lưu (sau khi chuẩn hóa Unicode)."; $("cmsg").className = "msg calm";
        return;
      }
      say("cmsg", errText(e), false);
      if (e.status === 409) {
        board = await call("/cues");
        const theirs = board[lang].cues[cue.no - 1];  // both texts kept: comments.js shows theirs beside the box
        if (theirs && action === "edit" && window.keepBothTexts) { cue = theirs; window.keepBothTexts(editor, text, theirs); return; }
        renderCues();
      }
    }
  };
  const editor = el("div", { class: "editor" }, text,
    el("div", { class: "times" }, el("span", { class: "what", text: "Vào" }), ...inp.nodes),
    el("div", { class: "times" }, el("span", { class: "what", text: "Ra" }), ...out.nodes),
    el("div", { class: "btns" },
      el("button", { class: "primary save", text: "Lưu", onclick: () => {
        let times;
        try { times = { start_tc: inp.value(), end_tc: out.value() }; } catch (e) { say("cmsg", e.message, false); return; }
        send("edit", { text: text.value, ...times });
      } }),
      el("button", { class: "split", text: "Tách tại đầu phát", onclick: () => send("split", { at_ms: progMs() }) }),
      next ? el("button", { class: "merge", text: "Gộp với câu sau", onclick: () => send("merge", { next_version: next.version }) }) : null,
      el("button", { text: "Hủy", onclick: () => editor.remove() })));
  box.append(editor);
  // the subtitle editor (editor.js) adds its live reading speed, split at the caret and loop here
  document.dispatchEvent(new CustomEvent("review:editor", { detail: { editor, text, lang, cue, inp, out, send } }));
  text.focus();
}

// -- marks on the timeline ----------------------------------------------------------------------------
const MARK_RANK = { WARN: 1, FAIL: 2 };
function renderMarks() {
  const bar = $("marks");
  bar.querySelectorAll(".mark").forEach((m) => m.remove());
  const dur = info.duration_ms || 1;
  const all = marks.concat(notes.map((n) => ({ kind: "note", start_ms: n.in_ms, end_ms: n.out_ms, label: `Ghi chú: ${n.text}` })));
  // Drawn in rising order, so what is on top is what a click reaches: QC's FAIL over its WARN and over
  // the wider marks of the web copy's own measurement, and a narrow mark over a wide one it sits in.
  all.sort((a, b) => (MARK_RANK[a.status] || 0) - (MARK_RANK[b.status] || 0)
    || (b.end_ms - b.start_ms) - (a.end_ms - a.start_ms));
  for (const m of all) {
    const node = el("div", { class: `mark ${m.kind}`, "data-status": m.status || "", "data-start": String(m.start_ms),
                             title: `${m.label} ${tc(m.start_ms)}–${tc(m.end_ms)}` });
    node.style.left = `${m.start_ms / dur * 100}%`;
    node.style.width = `${Math.max(0.4, (m.end_ms - m.start_ms) / dur * 100)}%`;
    node.addEventListener("click", (ev) => { ev.stopPropagation(); seekMs(m.start_ms); });
    bar.append(node);
  }
}
$("marks").addEventListener("click", (ev) => {
  const box = $("marks").getBoundingClientRect();
  seekMs((ev.clientX - box.left) / box.width * info.duration_ms);
});

// -- notes --------------------------------------------------------------------------------------------
function setNote(which) { $(which === "in" ? "nin" : "nout").value = tc(progMs()); $(which === "in" ? "nin" : "nout").dataset.ms = String(progMs()); }
$("nsetin").onclick = () => setNote("in");
$("nsetout").onclick = () => setNote("out");
// The notes' list, threads, drawings and the add button: comments.js.

// -- approval -----------------------------------------------------------------------------------------
// The decision, and what stands in its way (/obstacles, pipeline/review/obstacles.py): the approve
// buttons say how much is left, each obstacle says what to do, and one that may be set aside takes an
// explicit tick and a reason. The server refuses the same, so a page out of date cannot approve either.
const DECISION = { approved: "Đã duyệt", approved_with_changes: "Duyệt kèm sửa đổi", changes_requested: "Yêu cầu sửa" };
let obstacles = [], obstacleLoads = 0;
function approvalLabel(a) {
  return a.state === "approved" && DECISION[a.decision] ? DECISION[a.decision] : APPROVAL[a.state] || a.state;
}
function renderApproval(a) {
  const label = approvalLabel(a);
  $("apbadge").textContent = label; $("apbadge").className = `badge ${a.state}`;
  const r = a.record;
  const lines = [el("b", { text: label })];
  if (r) lines.push(` — ${r.by}, ${r.at}` + (r.comment ? ` — “${r.comment}”` : ""));
  if (a.state === "stale") lines.push(el("div", { class: "msg bad", text: "Đã thay đổi sau khi duyệt: " + a.changed.join(", ") }));
  if (r && r.files) lines.push(el("div", { class: "sub", text: `${Object.keys(r.files).length} tệp (bản dựng và phụ đề) được ghi lại bằng SHA-256.` }));
  for (const o of (r && r.overrides) || []) lines.push(el("div", { class: "sub override", text: `Đã bỏ qua ${o.id}: “${o.reason}” (${o.by})` }));
  $("apstate").replaceChildren(...lines);
  $("ahist").replaceChildren(...(a.history || []).slice().reverse().map((h) => {
    const d = h.decision || h.verdict, waived = (h.overrides || []).length;
    return el("div", { class: "sub", text: `${h.at} · ${h.by}: ${DECISION[d] || d}${h.comment ? " — " + h.comment : ""}`
      + (waived ? ` · đã bỏ qua ${waived} vướng mắc` : "") });
  }));
}
function waivers() {  // {obstacle id: reason} of those ticked with a reason
  const out = {};
  for (const row of document.querySelectorAll("#apobstacles .obstacle")) {
    const tick = row.querySelector(".waive"), why = row.querySelector(".reason");
    if (tick && tick.checked && why.value.trim()) out[row.dataset.id] = why.value.trim();
  }
  return out;
}
function updateApprove() {
  const waived = waivers(), left = obstacles.filter((o) => !(o.id in waived)).length;
  for (const id of ["approve", "approvechanges"]) {
    $(id).disabled = left > 0;
    $(id).title = left ? `Còn ${left} vướng mắc: xử lý, hoặc đánh dấu bỏ qua kèm lý do` : "";
  }
  $("approve").textContent = left ? `Duyệt bản này (còn ${left} vướng mắc)` : "Duyệt bản này";
}
function renderObstacles() {
  const kept = {};  // what the reviewer already ticked and wrote survives a refresh
  for (const row of document.querySelectorAll("#apobstacles .obstacle")) {
    const tick = row.querySelector(".waive"), why = row.querySelector(".reason");
    if (tick) kept[row.dataset.id] = [tick.checked, why.value];
  }
  const rows = obstacles.map((o) => {
    const kids = [el("div", { class: "problem", text: o.problem })];
    if (o.items.length) kids.push(el("div", { class: "sub", text: o.items.slice(0, 8).join(" · ") + (o.items.length > 8 ? " …" : "") }));
    kids.push(el("div", { class: "sub", text: "Cách xử lý: " + o.fix }));
    if (o.overridable) {
      const tick = el("input", { type: "checkbox", class: "waive", onchange: updateApprove });
      const why = el("input", { class: "reason", placeholder: "Lý do (bắt buộc)", oninput: updateApprove });
      if (kept[o.id]) { tick.checked = kept[o.id][0]; why.value = kept[o.id][1]; }
      kids.push(el("label", { class: "waiver" }, tick, " Bỏ qua, lý do: ", why));
    } else kids.push(el("div", { class: "sub", text: "Không bỏ qua được: chạy lại các bước trước rồi duyệt." }));
    return el("div", { class: "obstacle" + (o.overridable ? "" : " fixed"), "data-id": o.id, "data-kind": o.kind }, ...kids);
  });
  $("apobstacles").replaceChildren(...(rows.length
    ? [el("div", { class: "sub", text: `Còn ${rows.length} vướng mắc trước khi duyệt:` }), ...rows]
    : [el("div", { class: "msg good", text: "Không còn vướng mắc nào: có thể duyệt." })]));
  $("apobstacles").dataset.loaded = String(++obstacleLoads);
  updateApprove();
}
async function loadObstacles() {
  try { obstacles = (await call("/obstacles")).obstacles; renderObstacles(); }
  catch (e) { say("amsg", "Không kiểm tra được vướng mắc: " + e.message, false); }
}
async function refreshApproval() {  // after a change elsewhere on the page: the badge must not lie
  try { renderApproval(await call("/approval")); } catch (e) { say("amsg", "Không tải được trạng thái duyệt: " + e.message, false); }
  loadObstacles();
}
async function decide(decision) {
  const author = $("aauthor").value.trim();
  localStorage.setItem("review-author", author);
  const body = { decision, author, comment: $("acomment").value };
  if (decision === "approved_with_changes" && !body.comment.trim()) {
    say("amsg", "Ghi những sửa đổi cần làm vào ô Ý kiến trước khi duyệt kèm sửa đổi.", false); return;
  }
  if (decision !== "changes_requested") body.overrides = waivers();
  try {
    renderApproval(await call("/approval", { method: "POST", body }));
    say("amsg", { approved: "Đã duyệt.", approved_with_changes: "Đã duyệt kèm sửa đổi.", changes_requested: "Đã gửi yêu cầu sửa." }[decision], true);
  } catch (e) {
    if (e.status === 409 && e.data && e.data.obstacles) say("amsg", `Chưa duyệt được: còn ${e.data.obstacles.length} vướng mắc (xem danh sách ở trên).`, false);
    else say("amsg", errText(e), false);
  }
  loadObstacles();
}
$("approve").onclick = () => decide("approved");
$("approvechanges").onclick = () => decide("approved_with_changes");
$("reject").onclick = () => decide("changes_requested");
document.addEventListener("review:changed", (ev) => { if (!ev.detail.path.startsWith("/approval")) refreshApproval(); });
document.querySelector("#tabs button[data-pane='approval']").addEventListener("click", loadObstacles);
loadObstacles();

// -- QC -----------------------------------------------------------------------------------------------
function drawLoudness(series, target) {
  const c = $("loud"), g = c.getContext("2d"), w = c.width, h = c.height, dur = info.duration_ms / 1000 || 1;
  g.clearRect(0, 0, w, h);
  const y = (lufs) => h - (Math.max(-60, Math.min(0, lufs)) + 60) / 60 * h;
  g.strokeStyle = "#ccd3dc"; g.fillStyle = "#5b6573"; g.font = "10px 'Noto Sans Review'";
  for (const l of [-10, -20, -30, -40, -50]) { g.beginPath(); g.moveTo(0, y(l)); g.lineTo(w, y(l)); g.stroke(); g.fillText(`${l} LUFS`, 2, y(l) - 2); }
  if (target != null) { g.strokeStyle = "#2e7d32"; g.beginPath(); g.moveTo(0, y(target)); g.lineTo(w, y(target)); g.stroke(); }
  for (const [idx, color] of [[1, "#8aa"], [2, "#1f5fbf"]]) {
    g.strokeStyle = color; g.beginPath();
    series.forEach((p, i) => { const x = p[0] / dur * w; if (i) g.lineTo(x, y(p[idx])); else g.moveTo(x, y(p[idx])); });
    g.stroke();
  }
  g.fillStyle = "#1b1f24"; g.fillText("Độ lớn âm thanh: tức thời (xám), ngắn hạn (xanh)", 60, 12);
}
// QC's rows as the server makes them (pipeline/review/qcview.py): Vietnamese names with the check's id,
// times in programme timecode, and for each failure what to do. The failures come first, above
// everything else in the tab, so they are the first thing the tab shows.
function spanLinks(r) {
  return r.spans.slice(0, 4).map((s) => el("button", { class: "tclink", text: `${s.tc_in}–${s.tc_out}`,
    title: "Tua tới đầu đoạn này", onclick: () => seekMs(s.start_ms) }));
}
function checkName(r) {
  return el("span", { class: "checkname", title: r.label_en }, el("b", { text: r.label }), " ", el("code", { class: "cid", text: r.id }));
}
function failureItem(r) {
  return el("li", { class: "failure", "data-id": r.id },
    el("div", { class: "fhead" }, el("span", { class: "badge FAIL", text: VERDICT.FAIL }), " ", el("span", { class: "where", text: r.where }), " · ", checkName(r)),
    el("div", { class: "fmeas" }, `Đo được: ${r.measured}` + (r.limit ? ` · giới hạn: ${r.limit}` : ""), ...spanLinks(r)),
    el("div", { class: "todo" }, el("b", { text: "Cần làm: " }), r.todo || ""),
    r.detail ? el("div", { class: "detail", text: `Chi tiết của QC: ${r.detail}` }) : null);
}
function checkRow(r) {
  return el("tr", { class: "check", "data-status": r.status, "data-id": r.id },
    el("td", {}, el("span", { class: `badge ${r.status}`, text: r.status_label || VERDICT[r.status] || r.status })),
    el("td", {}, checkName(r)), el("td", { text: r.measured }), el("td", { text: r.limit }),
    el("td", {}, r.todo ? el("div", { class: "todo" }, el("b", { text: "Cần làm: " }), r.todo) : null,
      r.detail ? el("div", { class: "detail", text: r.detail }) : null, ...spanLinks(r)));
}
function renderQC(rows) {
  const fails = rows.failures, warns = rows.groups.reduce((n, g) => n + g.rows.filter((r) => r.status === "WARN").length, 0);
  const tab = document.querySelector("#tabs button[data-pane='qc']");
  tab.textContent = "Kiểm tra kỹ thuật" + (fails.length ? ` · ${fails.length} lỗi` : "");
  $("qcsum").replaceChildren(el("div", {}, "Kết luận: ", el("span", { class: `badge ${rows.verdict}`, text: VERDICT[rows.verdict] || rows.verdict }),
    ` ${fails.length} lỗi · ${warns} cảnh báo — ${rows.generated || ""}`));
  $("qcfail").replaceChildren(...(fails.length ? [el("h4", { text: `Lỗi cần sửa trước khi giao (${fails.length})` }),
    el("ol", { class: "failures" }, ...fails.map(failureItem))] : []));
  $("qcchecks").replaceChildren(...rows.groups.map((g) => {
    const t = el("table", { class: "list" }, el("tr", {}, el("th", { text: "Kết quả" }), el("th", { text: "Hạng mục" }),
      el("th", { text: "Đo được" }), el("th", { text: "Giới hạn" }), el("th", { text: "Cần làm / chi tiết" })));
    for (const r of g.rows) t.append(checkRow(r));
    return el("div", {}, el("h4", {}, `${g.name} `, el("span", { class: `badge ${g.verdict}`, text: VERDICT[g.verdict] || g.verdict })), t);
  }));
}
async function loadQC() {
  const q = await call("/qc");
  marks = q.marks; renderMarks();
  const rep = q.report;
  if (rep && q.rows) {
    $("qcbadge").textContent = VERDICT[rep.verdict] || rep.verdict; $("qcbadge").className = `badge ${rep.verdict}`;
    renderQC(q.rows);
  } else $("qcsum").textContent = "Chưa có báo cáo kiểm tra kỹ thuật (reportage qc).";
  const listed = marks.slice().sort((a, b) => (MARK_RANK[b.status] || 0) - (MARK_RANK[a.status] || 0) || a.start_ms - b.start_ms);
  $("marklist").replaceChildren(...listed.map((m) => el("div", { class: "seek mark-item", "data-status": m.status || "",
    text: `${tc(m.start_ms)}–${tc(m.end_ms)} ${m.label}`, onclick: () => seekMs(m.start_ms) })));
  const ms = q.measure;
  $("mstate").textContent = { none: "Chưa đo bản xem.", running: "Đang đo…", done: `Đã đo ${ms.file || ""}.`, failed: `Đo không được: ${ms.error || ""}` }[ms.state];
  if (ms.state === "done") drawLoudness(ms.loudness || [], null); else drawLoudness([], null);
  if (ms.state === "running") setTimeout(loadQC, 2000);
}
$("qcbadge").onclick = () => document.querySelector("#tabs button[data-pane='qc']").click();
$("measure").onclick = async () => { try { await call("/qc/measure", { method: "POST" }); } catch (e) { $("mstate").textContent = errText(e); } loadQC(); };

// -- publish --------------------------------------------------------------------------------------------
// The publish stage's record as the server reads it (pipeline/review/publishview.py): the web package's
// player page and the social sheet open in a new tab from the room's read-only /publish/ route (the
// page's relative addresses work there as on the portal); the stream validator's verdict and the
// platforms' findings are publish's own, shown as recorded. Vietnamese first, the English beside.
const PUBLISH_BADGE = { PASS: "Đạt", WARN: "Cần xem", FAIL: "Lỗi", none: "Chưa có", unreadable: "Không đọc được" };
function openLink(url, text, id) {
  return url ? el("a", { href: url, target: "_blank", rel: "noopener", id, class: "publink", text: `${text} ↗` })
    : el("span", { class: "sub", id, text: `${text}: tệp không còn / file missing` });
}
function findings(title, items, kind) {
  return items.length ? el("div", { class: `pubfind ${kind}` }, el("b", { text: `${title} (${items.length})` }),
    el("ul", {}, ...items.map((t) => el("li", { text: t })))) : null;
}
function sizeText(bytes) { return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`; }
function publishWeb(w) {
  if (!w) return el("div", { class: "pubpart sub", id: "pubweb", text: "Chưa có gói web / No web package." });
  const verdict = w.ok ? `Kiểm tra luồng: đạt cả ${w.rules_passed} quy tắc / Stream check: all ${w.rules_passed} rules passed`
    : `Kiểm tra luồng: ${w.failures.length} lỗi, ${w.rules_passed} quy tắc đạt / Stream check: ${w.failures.length} failed, ${w.rules_passed} passed`;
  const facts = [w.renditions.join(" · "), w.subtitles.length ? `phụ đề / subtitles: ${w.subtitles.join(", ")}` : "",
    `${w.files} tệp / files`, w.size_bytes ? sizeText(w.size_bytes) : ""].filter(Boolean).join(" · ");
  return el("div", { class: "pubpart", id: "pubweb" },
    el("h4", {}, "Gói web / Web package ", el("span", { class: `badge ${w.ok ? "PASS" : "FAIL"}`, text: w.ok ? "Đạt / Passed" : "Lỗi / Failed" }),
      " ", openLink(w.page_url, "Mở trang phát / Open the player page", "pubpage")),
    el("div", { class: "sub", text: `${w.folder}/ · ${facts}` }),
    el("div", { id: "pubverdict", class: `msg ${w.ok ? "good" : "bad"}`, text: verdict }),
    findings("Lỗi của gói web / Web package failures", w.failures, "fail"),
    findings("Ghi chú của kiểm tra luồng / Stream check notes", w.notes, "note"));
}
function publishSocial(s) {
  if (!s) return el("div", { class: "pubpart sub", id: "pubsocial", text: "Chưa có gói mạng xã hội / No social package." });
  return el("div", { class: "pubpart", id: "pubsocial" },
    el("h4", {}, "Gói mạng xã hội / Social package ", el("span", { class: `badge ${s.ok ? "PASS" : "WARN"}`,
      text: s.ok ? "Đạt / Passed" : `${s.problems.length} vấn đề / problems` }),
      " ", openLink(s.sheet_url, "Mở bảng thông tin đăng tải / Open the social sheet", "pubsheet")),
    el("div", { class: "sub", text: `${s.folder}/ · ${s.platforms.join(" · ")} · ${s.files} tệp / files` }),
    findings("Vượt giới hạn của nền tảng / Platform limits broken", s.problems, "fail"),
    findings("Lưu ý / Notes", s.notes, "note"));
}
function renderPublish(d) {
  const state = d.state, tab = document.querySelector("#tabs button[data-pane='publish']");
  $("pubbadge").textContent = PUBLISH_BADGE[state] || state;
  $("pubbadge").className = `badge ${["PASS", "WARN", "FAIL"].includes(state) ? state : "none"}`;
  tab.textContent = "Xuất bản" + (state === "FAIL" ? " · lỗi" : "");
  let body;
  if (state === "none") body = [el("div", { class: "calm", id: "pubnone" }, "Chưa xuất bản / Not published yet — chạy / run ",
    el("code", { text: d.command }), ".")];
  else if (state === "unreadable") body = [el("div", { class: "msg bad", text: `Không đọc được bản ghi xuất bản / The publish record cannot be read: ${d.error}` }),
    el("div", { class: "calm", text: d.hint })];
  else body = [el("h3", { class: "pubhead" }, "Xuất bản / Publish",
      d.published_at ? el("span", { class: "when", text: ` · lúc / at ${d.published_at}` }) : null),
    publishWeb(d.web), publishSocial(d.social), findings("Cảnh báo / Warnings", d.warnings, "note")];
  $("publish").replaceChildren(...body.filter((x) => x != null));
  $("publish").dataset.state = state;
}
async function loadPublish() {
  try { renderPublish(await call("/publish")); }
  catch (e) { $("publish").replaceChildren(el("div", { class: "msg bad", text: "Không tải được phần xuất bản / Publish: " + e.message })); }
}
$("pubbadge").onclick = () => document.querySelector("#tabs button[data-pane='publish']").click();

// -- rushes and search ---------------------------------------------------------------------------------
const rush = $("rushplayer");
function playClip(proxy, ms) {
  if (!proxy) return;
  const src = `/files/${encodeURIComponent(pid)}/${proxy}`;
  const go = () => { rush.currentTime = ms / 1000; rush.play().catch(() => {}); };
  if (rush.dataset.src !== src) { rush.dataset.src = src; rush.src = src; rush.addEventListener("loadedmetadata", go, { once: true }); } else go();
}
async function loadRushes() {
  const data = await call("/rushes");
  $("clips").replaceChildren(...data.clips.map((c) => {
    const words = el("div", { class: "words" });
    for (const w of c.words) {
      words.append(el("span", { class: w.u ? "unsure" : "", "data-ms": String(w.s), title: w.u ? `${unsureTitle(w.p)} · ${clipTc(w.s)}` : clipTc(w.s),
                                text: w.t, onclick: () => playClip(c.proxy, w.s) }), w.br ? el("br") : " ");
    }
    const unsureWords = c.words.filter((w) => w.u).length;
    return el("div", { class: "clip", "data-clip": c.clip }, el("b", { text: c.clip }), " ",
      el("span", { class: "sub", text: c.transcribed ? `${c.words.length} từ` + (unsureWords ? ` · ${unsureWords} chưa chắc chắn` : "") : "chưa có bản ghi lời" }), words);
  }));
}
async function doSearch() {
  const q = $("q").value.trim();
  const data = await fetch(`${api}/search?q=${encodeURIComponent(q)}`).then((r) => r.json());
  $("hits").replaceChildren(...(data.hits || []).map((h) => el("div", { class: "hit seek", onclick: () => playClip(h.proxy, h.start_ms) },
    el("b", { text: h.clip_id }), ` ${h.timecode} — ${h.before} `, el("mark", { text: h.match }), ` ${h.after}`)));
  if (q && !(data.hits || []).length) $("hits").textContent = "Không tìm thấy.";
}
$("qgo").onclick = doSearch;
$("q").addEventListener("keydown", (ev) => { if (ev.key === "Enter") doSearch(); });

// -- tabs and start -------------------------------------------------------------------------------------
for (const b of document.querySelectorAll("#tabs button")) {
  b.onclick = () => {
    document.querySelectorAll("#tabs button").forEach((x) => x.classList.toggle("on", x === b));
    document.querySelectorAll(".pane").forEach((p) => p.classList.toggle("on", p.id === `pane-${b.dataset.pane}`));
    if (b.dataset.pane === "rushes" && !$("clips").childElementCount) loadRushes();
    if (b.dataset.pane === "publish") loadPublish();  // publish may have run since the page opened
  };
}
async function start() {
  info = await call("");
  fps = info.rate.num / info.rate.den; frame = 1 / fps; rateNum = info.rate.num; rateDen = info.rate.den;
  startFrame = info.clock ? info.clock.start_frame : 0;
  $("tc").title = `Mã thời gian chương trình, từ ${tcOf(startFrame)} như bản gốc và các tệp xuất cho phần mềm dựng`;
  $("title").textContent = info.title ? info.title.vi : info.id;
  $("subtitle").textContent = (info.title ? info.title.en + " · " : "") + `${info.id} · ${info.duration_tc} · ${fps.toFixed(fps % 1 ? 3 : 0)} khung/giây`;
  document.title = `Duyệt: ${info.title ? info.title.vi : info.id}`;
  $("dur").textContent = `Thời lượng ${info.duration_tc}` + (info.player ? ` · xem: ${info.player.name}` : "");
  for (const t of info.tracks) $("track").append(el("option", { value: t.lang, text: t.label }));
  if (info.tracks.length) $("track").value = info.tracks[0].lang;
  if (info.player) { offset = info.player.offset_s; video.src = `/files/${encodeURIComponent(pid)}/${info.player.url}`; }
  else say("cmsg", "Chưa có bản dựng để xem (reportage render).", false);
  document.dispatchEvent(new CustomEvent("review:info", { detail: info }));  // comments.js: the deliverables
  setTracks();
  const who = localStorage.getItem("review-author") || "";
  $("nauthor").value = who; $("aauthor").value = who;
  $("ncsv").href = `${api}/notes.csv`; $("njson").href = `${api}/notes.json`;
  renderApproval(info.summary.approval);
  [board, notes] = await Promise.all([call("/cues"), call("/notes").then((d) => d.notes)]);
  renderCues(); renderNotes(); renderMarks(); showTime();
  await loadQC();
  await loadPublish();
  document.body.dataset.ready = "1";
}
start().catch((e) => { say("cmsg", "Không tải được chương trình: " + e.message, false); });
