// The programme page of the review room: player, cue list (vi | en), notes, approval, QC, rushes.
// Plain script, no build step, no network beyond this server.
"use strict";

const pid = decodeURIComponent(location.pathname.split("/")[2]);
const api = `/api/p/${encodeURIComponent(pid)}`;
const $ = (id) => document.getElementById(id);
const video = $("video");
let info = null, fps = 25, frame = 0.04, offset = 0, board = null, rows = [], marks = [], notes = [];
let shuttle = 0, reverseTimer = null;

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
  if (!res.ok) { const err = new Error(data.error || res.statusText); err.status = res.status; err.hint = data.hint; throw err; }
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
// The frame on screen is the one whose time span holds currentTime; seeks land just inside a frame
// (1 ms past its start) so the decoder never shows the one before it.
function progFrame() { return Math.max(0, Math.floor((video.currentTime - offset) * fps + 1e-3)); }
function progMs() { return Math.round(progFrame() * 1000 / fps); }
function frameAt(ms) { return Math.round(ms / 1000 * fps); }  // as the pipeline's timecodes round
function seekFrame(f) { video.currentTime = Math.max(0, f / fps + offset + 0.001); }
function tc(ms) {
  const nominal = Math.round(fps), frames = frameAt(ms);
  const ff = frames % nominal, s = Math.floor(frames / nominal);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}:${p(ff)}`;
}
function seekMs(ms) { stopReverse(); seekFrame(frameAt(ms)); showTime(); }
function stepFrames(n) { video.pause(); stopReverse(); seekFrame(progFrame() + n); }
function showTime() {
  const ms = progMs();
  $("tc").textContent = tc(ms);
  $("tc").dataset.frame = String(progFrame());
  $("play").textContent = video.paused && !reverseTimer ? "▶︎ Phát" : "❚❚ Dừng";
  const dur = info ? info.duration_ms : 1;
  $("head").style.left = `${Math.min(100, ms / dur * 100)}%`;
  follow(ms);
}
function stopReverse() { if (reverseTimer) { clearInterval(reverseTimer); reverseTimer = null; } }
function shuttleKey(key) {
  if (key === "k") { shuttle = 0; video.pause(); stopReverse(); video.playbackRate = 1; }
  else if (key === "l") {
    stopReverse(); shuttle = shuttle > 0 ? Math.min(shuttle * 2, 8) : 1;
    video.playbackRate = shuttle; video.play();
  } else if (key === "j") {
    video.pause(); shuttle = shuttle < 0 ? Math.max(shuttle * 2, -8) : -1;
    stopReverse();
    const speed = -shuttle;
    reverseTimer = setInterval(() => {
      const t = video.currentTime - speed * 0.1;
      if (t <= offset) { video.currentTime = offset; stopReverse(); shuttle = 0; } else video.currentTime = t;
      showTime();
    }, 100);
  }
  showTime();
}
document.addEventListener("keydown", (ev) => {
  if (ev.target.closest("input, textarea, select") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key.toLowerCase();
  if (["j", "k", "l"].includes(k)) shuttleKey(k);
  else if (k === " ") { if (video.paused) shuttleKey("l"); else shuttleKey("k"); }
  else if (k === "arrowleft" || k === ",") stepFrames(-1);
  else if (k === "arrowright" || k === ".") stepFrames(1);
  else if (k === "i") setNote("in"); else if (k === "o") setNote("out");
  else if (k === "n") jumpUnsure(ev.shiftKey ? -1 : 1);
  else return;
  ev.preventDefault();
});
$("play").onclick = () => (video.paused && !reverseTimer ? shuttleKey("l") : shuttleKey("k"));
$("back").onclick = () => stepFrames(-1);
$("fwd").onclick = () => stepFrames(1);
video.addEventListener("timeupdate", showTime);
video.addEventListener("seeked", showTime);
video.addEventListener("pause", showTime);
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
$("track").onchange = () => applyTrack($("track").value);
// The browser may pick a track by its own language preference once the media loads: the menu decides.
video.textTracks.addEventListener("change", () => applyTrack($("track").value));
video.addEventListener("loadedmetadata", () => applyTrack($("track").value));

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
    el("span", { class: "tc", text: `#${cue.no} ${cue.tc_in} → ${cue.tc_out}` }),
    el("span", { class: `origin ${cue.origin}`, text: cue.origin_label || ORIGIN[cue.origin] || cue.origin }),
    el("button", { class: "edit", text: "Sửa", title: "Sửa câu này", onclick: (ev) => { ev.stopPropagation(); openEditor(box, lang, cue, all); } })));
  box.append(markedText(cue.text, cue.uncertain || []));
  for (const issue of cue.issues) box.append(el("div", { class: `issue ${issue.severity}`, title: issue.message, text: issueText(issue) }));
  box.addEventListener("click", (ev) => { if (!ev.target.closest(".editor")) seekMs(cue.start_ms); });
  return box;
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
  if (r && r.node) { r.node.classList.add("current"); if (!document.querySelector(".editor")) r.node.scrollIntoView({ block: "nearest" }); }
}
function openEditor(box, lang, cue, all) {
  document.querySelectorAll(".editor").forEach((e) => e.remove());
  const text = el("textarea", { class: "cuetext" }); text.value = cue.text;
  const inp = el("input", { class: "ms cuein", value: String(cue.start_ms), title: "Điểm vào (ms)" });
  const out = el("input", { class: "ms cueout", value: String(cue.end_ms), title: "Điểm ra (ms)" });
  const next = all[cue.no];  // the cue after this one (numbers are 1-based)
  const send = async (action, body) => {
    try {
      const data = await call(`/cues/${lang}/${cue.no}/${action}`, { method: "POST", body: { version: cue.version, ...body } });
      board = data.board; renderCues(); setTracks();
      const s = data.saved, probs = s.issues.map(issueText).join("; ");
      say("cmsg", `Đã lưu (${lang} #${s.touched.join(", #")}). ` + (probs ? `Kiểm tra: ${probs}` : "Kiểm tra: không có lỗi."), !s.issues.some((i) => i.severity === "error"));
    } catch (e) {
      say("cmsg", errText(e), false);
      if (e.status === 409) { board = await call("/cues"); renderCues(); }
    }
  };
  const editor = el("div", { class: "editor" }, text,
    el("div", { class: "times" }, "Vào", inp, el("button", { text: "= đầu phát", onclick: () => { inp.value = String(progMs()); } }),
      "Ra", out, el("button", { text: "= đầu phát", onclick: () => { out.value = String(progMs()); } })),
    el("div", { class: "btns" },
      el("button", { class: "primary save", text: "Lưu", onclick: () => send("edit", { text: text.value, start_ms: Number(inp.value), end_ms: Number(out.value) }) }),
      el("button", { class: "split", text: "Tách tại đầu phát", onclick: () => send("split", { at_ms: progMs() }) }),
      next ? el("button", { class: "merge", text: "Gộp với câu sau", onclick: () => send("merge", { next_version: next.version }) }) : null,
      el("button", { text: "Hủy", onclick: () => editor.remove() })));
  box.append(editor);
  text.focus();
}

// -- marks on the timeline ----------------------------------------------------------------------------
function renderMarks() {
  const bar = $("marks");
  bar.querySelectorAll(".mark").forEach((m) => m.remove());
  const dur = info.duration_ms || 1;
  const all = marks.concat(notes.map((n) => ({ kind: "note", start_ms: n.in_ms, end_ms: n.out_ms, label: `Ghi chú: ${n.text}` })));
  for (const m of all) {
    const node = el("div", { class: `mark ${m.kind}`, title: `${m.label} ${tc(m.start_ms)}–${tc(m.end_ms)}` });
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
function renderNotes() {
  const t = $("notes");
  t.replaceChildren(el("tr", {}, el("th", { text: "Vào" }), el("th", { text: "Ra" }), el("th", { text: "Người ghi" }), el("th", { text: "Nội dung" }), el("th")));
  for (const n of notes) {
    t.append(el("tr", { class: "note" },
      el("td", { class: "tc seek", text: tc(n.in_ms), onclick: () => seekMs(n.in_ms) }),
      el("td", { class: "tc", text: tc(n.out_ms) }), el("td", { text: n.author }), el("td", { text: n.text }),
      el("td", {}, el("button", { text: "Xóa", title: "Xóa ghi chú", onclick: async () => {
        notes = (await call(`/notes/${n.id}`, { method: "DELETE" })).notes; renderNotes(); renderMarks(); } }))));
  }
}
$("nadd").onclick = async () => {
  const author = $("nauthor").value.trim();
  localStorage.setItem("review-author", author);
  const inMs = $("nin").dataset.ms ? Number($("nin").dataset.ms) : progMs();
  const outMs = $("nout").dataset.ms ? Number($("nout").dataset.ms) : inMs;
  try {
    const data = await call("/notes", { method: "POST", body: { in_ms: inMs, out_ms: outMs, author, text: $("ntext").value } });
    notes = data.notes; $("ntext").value = ""; for (const id of ["nin", "nout"]) { $(id).value = ""; delete $(id).dataset.ms; }
    renderNotes(); renderMarks(); say("nmsg", "Đã thêm ghi chú.", true);
  } catch (e) { say("nmsg", errText(e), false); }
};

// -- approval -----------------------------------------------------------------------------------------
function renderApproval(a) {
  $("apbadge").textContent = APPROVAL[a.state] || a.state; $("apbadge").className = `badge ${a.state}`;
  const r = a.record;
  const lines = [el("b", { text: APPROVAL[a.state] || a.state })];
  if (r) lines.push(` — ${r.by}, ${r.at}` + (r.comment ? ` — “${r.comment}”` : ""));
  if (a.state === "stale") lines.push(el("div", { class: "msg bad", text: "Đã thay đổi sau khi duyệt: " + a.changed.join(", ") }));
  if (r && r.files) lines.push(el("div", { class: "sub", text: `${Object.keys(r.files).length} tệp (bản dựng và phụ đề) được ghi lại bằng SHA-256.` }));
  $("apstate").replaceChildren(...lines);
  $("ahist").replaceChildren(...(a.history || []).slice().reverse().map((h) =>
    el("div", { class: "sub", text: `${h.at} · ${h.by}: ${APPROVAL[h.verdict] || h.verdict}${h.comment ? " — " + h.comment : ""}` })));
}
async function verdict(v) {
  const author = $("aauthor").value.trim();
  localStorage.setItem("review-author", author);
  try {
    renderApproval(await call("/approval", { method: "POST", body: { verdict: v, author, comment: $("acomment").value } }));
    say("amsg", v === "approved" ? "Đã duyệt." : "Đã gửi yêu cầu sửa.", true);
  } catch (e) { say("amsg", errText(e), false); }
}
$("approve").onclick = () => verdict("approved");
$("reject").onclick = () => verdict("changes_requested");

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
async function loadQC() {
  const q = await call("/qc");
  marks = q.marks; renderMarks();
  const rep = q.report;
  if (rep) {
    $("qcbadge").textContent = VERDICT[rep.verdict] || rep.verdict; $("qcbadge").className = `badge ${rep.verdict}`;
    $("qcsum").replaceChildren(el("div", {}, "Kết luận: ", el("span", { class: `badge ${rep.verdict}`, text: VERDICT[rep.verdict] || rep.verdict }), ` — ${rep.generated || ""}`));
    const groups = (rep.deliverables || []).map((d) => [`${d.deliverable} (${d.profile})`, d.verdict, d.checks])
      .concat([["Phụ đề", rep.subtitles ? rep.subtitles.verdict : "", rep.subtitles ? rep.subtitles.checks : []]]);
    $("qcchecks").replaceChildren(...groups.map(([name, v, checks]) => {
      const t = el("table", { class: "list" }, el("tr", {}, el("th", { text: "Kết quả" }), el("th", { text: "Hạng mục" }), el("th", { text: "Đo được" }), el("th", { text: "Giới hạn" }), el("th", { text: "Chi tiết" })));
      for (const ch of checks) t.append(el("tr", {}, el("td", {}, el("span", { class: `badge ${ch.status}`, text: VERDICT[ch.status] || ch.status })),
        el("td", { text: ch.label }), el("td", { text: ch.measured }), el("td", { text: ch.limit }), el("td", { text: ch.detail || "" })));
      return el("div", {}, el("h4", {}, `${name} `, el("span", { class: `badge ${v}`, text: VERDICT[v] || v })), t);
    }));
  } else $("qcsum").textContent = "Chưa có báo cáo kiểm tra kỹ thuật (reportage qc).";
  $("marklist").replaceChildren(...marks.map((m) => el("div", { class: "seek mark-item", text: `${tc(m.start_ms)}–${tc(m.end_ms)} ${m.label}`, onclick: () => seekMs(m.start_ms) })));
  const ms = q.measure;
  $("mstate").textContent = { none: "Chưa đo bản xem.", running: "Đang đo…", done: `Đã đo ${ms.file || ""}.`, failed: `Đo không được: ${ms.error || ""}` }[ms.state];
  if (ms.state === "done") drawLoudness(ms.loudness || [], null); else drawLoudness([], null);
  if (ms.state === "running") setTimeout(loadQC, 2000);
}
$("measure").onclick = async () => { try { await call("/qc/measure", { method: "POST" }); } catch (e) { $("mstate").textContent = errText(e); } loadQC(); };

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
      words.append(el("span", { class: w.u ? "unsure" : "", "data-ms": String(w.s), title: w.u ? `${unsureTitle(w.p)} · ${tc(w.s)}` : tc(w.s),
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
  };
}
async function start() {
  info = await call("");
  fps = info.rate.num / info.rate.den; frame = 1 / fps;
  $("title").textContent = info.title ? info.title.vi : info.id;
  $("subtitle").textContent = (info.title ? info.title.en + " · " : "") + `${info.id} · ${info.duration_tc} · ${fps.toFixed(fps % 1 ? 3 : 0)} khung/giây`;
  document.title = `Duyệt: ${info.title ? info.title.vi : info.id}`;
  $("dur").textContent = `Thời lượng ${info.duration_tc}` + (info.player ? ` · xem: ${info.player.name}` : "");
  for (const t of info.tracks) $("track").append(el("option", { value: t.lang, text: t.label }));
  if (info.tracks.length) $("track").value = info.tracks[0].lang;
  if (info.player) { offset = info.player.offset_s; video.src = `/files/${encodeURIComponent(pid)}/${info.player.url}`; }
  else say("cmsg", "Chưa có bản dựng để xem (reportage render).", false);
  setTracks();
  const who = localStorage.getItem("review-author") || "";
  $("nauthor").value = who; $("aauthor").value = who;
  $("ncsv").href = `${api}/notes.csv`; $("njson").href = `${api}/notes.json`;
  renderApproval(info.summary.approval);
  [board, notes] = await Promise.all([call("/cues"), call("/notes").then((d) => d.notes)]);
  renderCues(); renderNotes(); renderMarks(); showTime();
  await loadQC();
  document.body.dataset.ready = "1";
}
start().catch((e) => { say("cmsg", "Không tải được chương trình: " + e.message, false); });
