// The review room as a subtitle editor: a waveform strip under the player (the programme's sound,
// peaks from the server's ffmpeg decode, pipeline/review/waveform.py), both languages' cues as spans
// over it, shot changes and the playhead; cue edges dragged on it (snapping to a shot change as lint
// wants: an out point min_gap_frames before the cut, an in point on it); frame nudges; split at the
// caret; undo/redo; find and replace; lint's own live reading speed; loop a cue; "next problem".
// Every change goes through the cue-save endpoint, so lint runs and the cue becomes reviewed.
// Plain script after programme.js: it uses that page's globals (board, info, call, tc, seekMs, …).
"use strict";
(() => {
  const E = { peaks: null, bucket: 10, scale: 1000, shots: [], styles: {}, from: 0, span: 0, drag: null, hover: null,
              loop: null, sel: null, undo: [], redo: [], replaying: false, group: null, lastProblem: null,
              drawn: "", wave: null, queue: Promise.resolve() };
  // the editor's saves one after another: a second Ctrl+Z or nudge pressed while the first is saving
  // waits for it, and then reads the cue list that save returned (else it would meet a stale version)
  let pending = 0;  // shown as #wave[data-busy] while saves are queued or running
  const queued = (fn) => (...args) => {
    pending += 1; strip.dataset.busy = "1";
    E.queue = E.queue.then(() => fn(...args)).catch(() => {})
      .finally(() => { pending -= 1; if (!pending) delete strip.dataset.busy; });
    return E.queue;
  };
  const LIMIT = 100;  // undo steps kept (at least the last 50 the editors asked for)
  const LANE = { vi: { top: 0, color: "31,95,191", name: "Tiếng Việt" }, en: { top: 0.5, color: "185,71,31", name: "English" } };
  const frameMs = (f) => Math.round(f * 1000 * rateDen / rateNum);

  // -- the strip ----------------------------------------------------------------------------------------
  const canvas = el("canvas", { id: "wavecanvas", height: "76", "aria-label": "Dạng sóng âm thanh và các câu phụ đề",
    title: "Bấm để tua tới · kéo mép một câu để đổi điểm vào/ra (bắt vào điểm chuyển cảnh; giữ Alt để không bắt) · lăn chuột để phóng to" });
  const selText = el("span", { id: "wsel", class: "wsel", text: "Chưa chọn câu" });
  const btn = (id, text, title, onclick, cls = "") => el("button", { id, class: cls, text, title, onclick });
  const findBox = el("div", { id: "wfind", class: "wfind", hidden: "" },
    el("select", { id: "wflang", title: "Ngôn ngữ tìm và thay" }, el("option", { value: "vi", text: "Tiếng Việt" }), el("option", { value: "en", text: "English" })),
    el("input", { id: "wffind", placeholder: "Tìm…", size: "12", spellcheck: "false" }),
    el("input", { id: "wfrepl", placeholder: "Thay bằng…", size: "12", spellcheck: "false" }),
    el("label", { title: "Phân biệt chữ hoa và chữ thường" }, el("input", { type: "checkbox", id: "wfcase", checked: "" }), " Hoa/thường"),
    el("span", { id: "wfcount", class: "sub" }),
    btn("wfgo", "Thay tất cả", "Thay mọi chỗ tìm thấy; mỗi câu đổi được lưu như câu đã duyệt", () => replaceAll(), "primary"));
  const strip = el("div", { id: "wave" },
    el("div", { class: "wtools" },
      btn("wzoomout", "−", "Thu nhỏ", () => zoom(2)), btn("wzoomin", "+", "Phóng to", () => zoom(0.5)),
      btn("wfit", "Toàn bộ", "Xem cả chương trình", () => { E.from = 0; E.span = info.duration_ms; }),
      selText,
      btn("winm", "Vào −1", "Điểm vào: lùi một khung hình ([)", () => nudge("start", -1), "nudge"),
      btn("winp", "Vào +1", "Điểm vào: tiến một khung hình (])", () => nudge("start", 1), "nudge"),
      btn("woutm", "Ra −1", "Điểm ra: lùi một khung hình ({)", () => nudge("end", -1), "nudge"),
      btn("woutp", "Ra +1", "Điểm ra: tiến một khung hình (})", () => nudge("end", 1), "nudge")),
    el("div", { class: "wtools" },
      btn("wloop", "⟲ Lặp câu", "Phát lặp lại câu đang chọn (R)", () => toggleLoop()),
      btn("wnext", "Vấn đề tiếp theo ›", "Câu tiếp theo có lỗi kiểm tra, từ chưa chắc chắn, hoặc bản dịch máy chưa duyệt (P)", () => nextProblem(), "primary"),
      btn("wundo", "↶ Hoàn tác", "Hoàn tác lần sửa câu gần nhất (Ctrl+Z)", () => undoRedo(true)),
      btn("wredo", "↷ Làm lại", "Làm lại (Ctrl+Shift+Z)", () => undoRedo(false)),
      btn("wfindbtn", "Tìm & thay", "Tìm và thay trong toàn bộ phụ đề của một ngôn ngữ", () => { findBox.hidden = !findBox.hidden; if (!findBox.hidden) $("wffind").focus(); }),
      el("span", { id: "wmsg", class: "sub" })),
    findBox, canvas);
  $("marks").after(strip);
  $("keys").append(" · P: câu có vấn đề tiếp theo · R: phát lặp câu · [ ]: điểm vào ±1 khung hình · { }: điểm ra ±1 khung hình"
    + " · Ctrl+Z / Ctrl+Shift+Z: hoàn tác / làm lại (khi không gõ chữ)");

  // -- data -----------------------------------------------------------------------------------------------
  async function load() {
    const [meta, peaks] = await Promise.all([call("/editor"), call("/waveform").catch((e) => { note(`Không vẽ được dạng sóng: ${e.message}`); return null; })]);
    E.shots = meta.shot_changes_ms; E.styles = meta.styles; E.span = info.duration_ms;
    if (peaks) { E.peaks = peaks.peaks; E.bucket = peaks.bucket_ms; E.scale = peaks.scale; }
    E.drawn = ""; strip.dataset.ready = "1";
  }
  function note(text) { $("wmsg").textContent = text; }
  function cuesOf(lang) { return board && board[lang] ? board[lang].cues : []; }
  function selected() {
    if (!E.sel) return null;
    return cuesOf(E.sel.lang)[E.sel.no - 1] || null;
  }
  function select(lang, no, seek) {
    E.sel = { lang, no };
    const box = document.querySelector(`#cues .cue[data-lang='${lang}'][data-no='${no}']`);
    if (box) { selectCue(box); box.scrollIntoView({ block: "nearest" }); }
    const cue = selected();
    if (cue && seek) seekMs(cue.start_ms);
    showSel();
  }
  function showSel() {
    const cue = selected();
    selText.textContent = cue ? `${E.sel.lang} #${cue.no}  ${tc(cue.start_ms)} → ${tc(cue.end_ms)}` : "Chưa chọn câu";
  }
  // a cue clicked in the list is the editor's cue too
  $("cues").addEventListener("click", (ev) => {
    const box = ev.target.closest(".cue");
    if (box) { E.sel = { lang: box.dataset.lang, no: Number(box.dataset.no) }; showSel(); }
  });

  // -- drawing ----------------------------------------------------------------------------------------------
  const xOf = (ms, w) => (ms - E.from) / E.span * w;
  const msOf = (x, w) => E.from + x / w * E.span;
  function waveImage(w, h) {
    const key = `${E.from}|${E.span}|${w}|${h}|${E.peaks ? E.peaks.length : 0}`;
    if (E.drawn === key && E.wave) return E.wave;
    const off = E.wave || document.createElement("canvas");
    off.width = w; off.height = h;
    const g = off.getContext("2d");
    g.clearRect(0, 0, w, h);
    if (E.peaks) {
      const n = E.peaks.length / 2, mid = h / 2;
      let top = 1;
      for (let i = 0; i < E.peaks.length; i++) top = Math.max(top, Math.abs(E.peaks[i]));
      g.fillStyle = "#4a5868";
      for (let x = 0; x < w; x++) {
        const a = Math.max(0, Math.floor(msOf(x, w) / E.bucket)), b = Math.min(n, Math.max(a + 1, Math.floor(msOf(x + 1, w) / E.bucket)));
        let lo = 0, hi = 0;
        for (let i = a; i < b; i++) { lo = Math.min(lo, E.peaks[2 * i]); hi = Math.max(hi, E.peaks[2 * i + 1]); }
        const y0 = mid - hi / top * (mid - 2), y1 = mid - lo / top * (mid - 2);
        g.fillRect(x, y0, 1, Math.max(1, y1 - y0));
      }
    }
    E.wave = off; E.drawn = key;
    return off;
  }
  function current() {  // the cue highlighted: the one being dragged, else the selected one, else under the playhead
    if (E.drag) return { lang: E.drag.lang, no: E.drag.cue.no };
    if (E.sel) return E.sel;
    const ms = progMs(), cue = cuesOf("vi").find((c) => c.start_ms <= ms && ms < c.end_ms);
    return cue ? { lang: "vi", no: cue.no } : null;
  }
  function draw() {
    requestAnimationFrame(draw);
    if (!info || !E.span) return;
    const dpr = window.devicePixelRatio || 1, cw = canvas.clientWidth, ch = canvas.clientHeight;
    if (!cw) return;
    const w = Math.round(cw * dpr), h = Math.round(ch * dpr);
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    const g = canvas.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, w, h);
    g.drawImage(waveImage(w, h), 0, 0);
    g.scale(dpr, dpr);
    canvas.dataset.from = String(E.from); canvas.dataset.to = String(E.from + E.span);
    const cur = current();
    g.font = "11px 'Noto Sans Review', sans-serif"; g.textBaseline = "top";
    for (const lang of ["vi", "en"]) {
      const lane = LANE[lang], y = lane.top * ch + 1, lh = ch / 2 - 2;
      for (const c0 of cuesOf(lang)) {
        const dragged = E.drag && E.drag.lang === lang && E.drag.cue.no === c0.no;
        const c = dragged ? { ...c0, start_ms: E.drag.start_ms, end_ms: E.drag.end_ms } : c0;
        const x0 = xOf(c.start_ms, cw), x1 = xOf(c.end_ms, cw);
        if (x1 < 0 || x0 > cw) continue;
        const on = cur && cur.lang === lang && cur.no === c.no;
        g.fillStyle = `rgba(${lane.color},${on ? 0.32 : 0.13})`;
        g.fillRect(x0, y, x1 - x0, lh);
        g.fillStyle = `rgba(${lane.color},1)`;
        g.fillRect(x0, y, on ? 3 : 2, lh); g.fillRect(x1 - (on ? 3 : 2), y, on ? 3 : 2, lh);
        if (on) { g.strokeStyle = `rgba(${lane.color},1)`; g.lineWidth = 1.5; g.strokeRect(x0, y, x1 - x0, lh); }
        g.save(); g.beginPath(); g.rect(x0 + 4, y, Math.max(0, x1 - x0 - 8), lh); g.clip();
        g.fillStyle = "#1b1f24"; g.fillText(`${c.no}. ${c.text.replace(/\n/g, " ")}`, x0 + 5, y + 2);
        g.restore();
      }
    }
    g.strokeStyle = "#c62828"; g.lineWidth = 1; g.setLineDash([4, 3]);
    for (const s of E.shots) { const x = Math.round(xOf(s, cw)) + 0.5; if (x >= 0 && x <= cw) { g.beginPath(); g.moveTo(x, 0); g.lineTo(x, ch); g.stroke(); } }
    g.setLineDash([]);
    const px = xOf(progMs(), cw);
    g.fillStyle = "#111"; g.fillRect(px - 1, 0, 2, ch);
    if (E.drag) {
      const label = tc(E.drag.which === "start" ? E.drag.start_ms : E.drag.end_ms) + (E.drag.snapped ? " ✂" : "");
      const x = xOf(E.drag.which === "start" ? E.drag.start_ms : E.drag.end_ms, cw);
      g.fillStyle = "#1d2633"; g.fillRect(Math.min(cw - 104, Math.max(0, x - 52)), ch - 18, 104, 17);
      g.fillStyle = "#7df58a"; g.fillText(label, Math.min(cw - 100, Math.max(4, x - 48)), ch - 16);
    }
    // the view follows the playhead while playing
    if (!video.paused && (px > cw || px < 0) && !E.drag) E.from = Math.max(0, Math.min(info.duration_ms - E.span, progMs() - E.span * 0.1));
    if (E.loop && !video.paused && progMs() >= E.loop.end_ms) { seekMs(E.loop.start_ms); video.play().catch(() => {}); }
    $("wloop").classList.toggle("on", !!E.loop);
    $("wundo").disabled = !E.undo.length; $("wredo").disabled = !E.redo.length;
  }
  requestAnimationFrame(draw);
  function zoom(factor, atMs) {
    const dur = info.duration_ms, at = atMs ?? (E.from + E.span / 2);
    const span = Math.max(400, Math.min(dur, E.span * factor));
    E.from = Math.max(0, Math.min(dur - span, at - (at - E.from) * span / E.span));
    E.span = span;
  }
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (ev.shiftKey) E.from = Math.max(0, Math.min(info.duration_ms - E.span, E.from + E.span * Math.sign(ev.deltaY || ev.deltaX) * 0.2));
    else zoom(ev.deltaY > 0 ? 1.25 : 0.8, msOf(ev.clientX - r.left, r.width));
  }, { passive: false });

  // -- dragging an edge, snapping to the cuts as lint wants -------------------------------------------------
  function hit(ev) {
    const r = canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
    const lang = y < r.height / 2 ? "vi" : "en";
    let best = null;
    for (const c of cuesOf(lang)) {
      for (const which of ["start", "end"]) {
        const d = Math.abs(xOf(which === "start" ? c.start_ms : c.end_ms, r.width) - x);
        if (d <= 6 && (!best || d < best.d)) best = { lang, cue: c, which, d };
      }
    }
    const ms = msOf(x, r.width);
    return { edge: best, lang, ms, cue: cuesOf(lang).find((c) => c.start_ms <= ms && ms < c.end_ms) || null, width: r.width };
  }
  // lint's rules (pipeline/subs/lint.py, `shots`): an out point within `min_gap_frames` of a cut is on it,
  // and an in point up to `shot_change_frames` before one is off it. So an out near a cut goes
  // min_gap_frames before it (the next cue may then start on the cut), an in point onto the cut.
  function snapped(lang, which, ms, free) {
    const f = frameAt(ms);
    if (free || !E.styles[lang]) return { f, snapped: false };
    const st = E.styles[lang], win = st.shot_change_frames, after = which === "end" ? win : st.lead_in_frames;
    let best = null;
    for (const s of E.shots) {
      const cut = frameAt(s), d = f - cut;
      if (d >= -win && d <= after && (best == null || Math.abs(d) < Math.abs(f - best))) best = cut;
    }
    if (best == null) return { f, snapped: false };
    return { f: which === "end" ? best - st.min_gap_frames : best, snapped: true };
  }
  canvas.addEventListener("pointerdown", (ev) => {
    if (!info || ev.button !== 0) return;
    const h = hit(ev);
    if (h.edge) {
      canvas.setPointerCapture(ev.pointerId);
      E.drag = { lang: h.edge.lang, cue: h.edge.cue, which: h.edge.which, start_ms: h.edge.cue.start_ms, end_ms: h.edge.cue.end_ms, moved: false };
      E.sel = { lang: h.edge.lang, no: h.edge.cue.no }; showSel();
      video.pause();
      ev.preventDefault();
      return;
    }
    seekMs(Math.max(0, h.ms));
    if (h.cue) select(h.lang, h.cue.no, false);
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!E.drag) { canvas.style.cursor = hit(ev).edge ? "ew-resize" : "pointer"; return; }
    const r = canvas.getBoundingClientRect(), d = E.drag;
    const s = snapped(d.lang, d.which, msOf(ev.clientX - r.left, r.width), ev.altKey);
    const ms = frameMs(Math.max(0, s.f));
    if (d.which === "start") d.start_ms = Math.min(ms, d.end_ms - frameMs(1)); else d.end_ms = Math.max(ms, d.start_ms + frameMs(1));
    d.snapped = s.snapped; d.moved = true;
  });
  const saveDrag = queued(async (d) => {
    if (!d.moved || (d.start_ms === d.cue.start_ms && d.end_ms === d.cue.end_ms)) return;
    d.cue = cuesOf(d.lang).find((c) => same(c, d.cue)) || d.cue;  // as the saves before this one left it
    const body = d.which === "start" ? { start_tc: tc(d.start_ms) } : { end_tc: tc(d.end_ms) };
    await save(d.lang, d.cue, body, `Đã lưu ${d.which === "start" ? "điểm vào" : "điểm ra"} ${tc(d.which === "start" ? d.start_ms : d.end_ms)}${d.snapped ? " (bắt vào điểm chuyển cảnh)" : ""}`);
  });
  canvas.addEventListener("pointerup", () => { const d = E.drag; E.drag = null; if (d) saveDrag(d); });
  canvas.addEventListener("pointercancel", () => { E.drag = null; });

  // -- saving, and undo/redo of what was saved ---------------------------------------------------------------
  function issuesText(saved) {
    const probs = saved.issues.map(issueText).join("; ");
    return probs ? `Kiểm tra: ${probs}` : "Kiểm tra: không có lỗi.";
  }
  async function save(lang, cue, body, done) {
    try {
      const data = await call(`/cues/${lang}/${cue.no}/edit`, { method: "POST", body: { version: cue.version, ...body } });
      board = data.board; renderCues(); setTracks();
      select(lang, data.saved.touched[0], false);
      if (done) say("cmsg", `${done} (${lang} #${data.saved.touched[0]}). ${issuesText(data.saved)}`, !data.saved.issues.some((i) => i.severity === "error"));
      return data;
    } catch (e) {
      say("cmsg", errText(e), false);
      if (e.status === 409) { board = await call("/cues"); renderCues(); }
      return null;
    }
  }
  const state = (c) => ({ text: c.text, start_ms: c.start_ms, end_ms: c.end_ms });
  // Every save of a cue's text or times (here, in the cue list's editor, or a replacement) is recorded
  // as it is made: `board` still holds the cue as it was when the save's answer comes in.
  document.addEventListener("review:changed", (ev) => {
    const m = /^\/cues\/(vi|en)\/(\d+)\/edit$/.exec(ev.detail.path || "");
    const data = ev.detail.data;
    if (!m || !data || !data.saved || E.replaying) return;
    const before = cuesOf(m[1])[Number(m[2]) - 1], after = data.board[m[1]].cues[data.saved.touched[0] - 1];
    if (!before || !after) return;
    const change = { lang: m[1], before: state(before), after: state(after) };
    if (E.group) { E.group.push(change); return; }
    E.undo.push([change]); E.redo = [];
    if (E.undo.length > LIMIT) E.undo.shift();
  });
  const same = (c, s) => c.text === s.text && c.start_ms === s.start_ms && c.end_ms === s.end_ms;
  const undoRedo = queued(async (back) => {
    const from = back ? E.undo : E.redo, to = back ? E.redo : E.undo;
    const step = from.pop();
    if (!step) { note(back ? "Không còn gì để hoàn tác." : "Không còn gì để làm lại."); return; }
    E.replaying = true;
    let done = 0;
    try {
      for (const ch of back ? step.slice().reverse() : step) {
        const want = back ? ch.before : ch.after, have = back ? ch.after : ch.before;
        const cue = cuesOf(ch.lang).find((c) => same(c, have));
        if (!cue) { say("cmsg", `Câu ${ch.lang} “${have.text.slice(0, 30)}” đã đổi từ lúc đó — không ${back ? "hoàn tác" : "làm lại"} được.`, false); break; }
        const body = {};
        if (want.text !== cue.text) body.text = want.text;
        if (want.start_ms !== cue.start_ms) body.start_ms = want.start_ms;
        if (want.end_ms !== cue.end_ms) body.end_ms = want.end_ms;
        if (!(await save(ch.lang, cue, body, null))) break;
        done += 1;
      }
    } finally { E.replaying = false; }
    if (done === step.length) { to.push(step); say("cmsg", `${back ? "Đã hoàn tác" : "Đã làm lại"} ${done} câu (đã lưu lại).`, true); }
    else if (done) from.push(step.slice(back ? 0 : done, back ? step.length - done : step.length));
    else from.push(step);
  });

  // -- frame nudges of the selected cue's in and out points ---------------------------------------------------
  const nudge = queued(async (which, n) => {
    const cue = selected();
    if (!cue) { say("cmsg", "Chọn một câu trước (bấm vào câu trong danh sách hoặc trên dạng sóng).", false); return; }
    const ms = frameMs(frameAt(which === "start" ? cue.start_ms : cue.end_ms) + n);
    if (ms < 0) return;
    await save(E.sel.lang, cue, which === "start" ? { start_tc: tc(ms) } : { end_tc: tc(ms) }, `Đã lưu ${which === "start" ? "điểm vào" : "điểm ra"} ${tc(ms)}`);
  });

  // -- loop, next problem --------------------------------------------------------------------------------------
  function toggleLoop() {
    if (E.loop) { E.loop = null; $("wloop").classList.remove("on"); note("Đã tắt phát lặp."); return; }
    const cur = current(), cue = cur && cuesOf(cur.lang)[cur.no - 1];
    if (!cue) { say("cmsg", "Chọn một câu để phát lặp.", false); return; }
    E.loop = { lang: cur.lang, no: cue.no, start_ms: cue.start_ms, end_ms: cue.end_ms };
    $("wloop").classList.add("on");  // at once, not at the next frame drawn
    note(`Phát lặp ${cur.lang} #${cue.no}: ${tc(cue.start_ms)} → ${tc(cue.end_ms)}`);
    seekMs(cue.start_ms); video.play().catch(() => {});
  }
  function problemOf(lang, c) {
    if (c.issues.length) return c.issues.map(issueText).join("; ");
    if ((c.uncertain || []).length) return `${c.uncertain.length} từ nhận dạng chưa chắc chắn`;
    if (lang === "en" && ["machine", "shortened"].includes(c.origin)) return "bản dịch máy chưa duyệt";
    return null;
  }
  function nextProblem() {
    const all = [];
    for (const lang of ["vi", "en"]) for (const c of cuesOf(lang)) { const why = problemOf(lang, c); if (why) all.push({ lang, c, why }); }
    all.sort((a, b) => a.c.start_ms - b.c.start_ms || (a.lang === "vi" ? -1 : 1));
    if (!all.length) { say("cmsg", "Không còn câu nào có vấn đề.", true); return; }
    const f = progFrame(), last = E.lastProblem;
    // on from the problem shown last while the playhead has not moved, else the first after the playhead
    let i = last && last.frame === f ? all.findIndex((p) => p.lang === last.lang && p.c.no === last.no) + 1 : 0;
    if (i <= 0) i = all.findIndex((p) => frameAt(p.c.start_ms) > f);
    if (i < 0 || i >= all.length) i = 0;  // round the programme
    const p = all[i];
    select(p.lang, p.c.no, true);
    E.lastProblem = { lang: p.lang, no: p.c.no, frame: frameAt(p.c.start_ms) };
    if (p.c.start_ms < E.from || p.c.end_ms > E.from + E.span) E.from = Math.max(0, Math.min(info.duration_ms - E.span, p.c.start_ms - E.span * 0.2));
    say("cmsg", `Vấn đề ${i + 1}/${all.length}: ${p.lang} #${p.c.no} — ${p.why}`, false);
  }

  // -- find and replace (one language, NFC, diacritics exact) -----------------------------------------------------
  function matches(text, needle, exact) {
    const hay = exact ? text : text.toLocaleLowerCase("vi"), pin = exact ? needle : needle.toLocaleLowerCase("vi");
    const at = [];
    if (!pin) return at;
    for (let i = hay.indexOf(pin); i >= 0; i = hay.indexOf(pin, i + pin.length)) at.push(i);
    return at;
  }
  function plan() {
    const lang = $("wflang").value, needle = $("wffind").value.normalize("NFC"), repl = $("wfrepl").value.normalize("NFC");
    const exact = $("wfcase").checked, out = [];
    for (const c of cuesOf(lang)) {
      const text = c.text.normalize("NFC"), at = matches(text, needle, exact);
      if (!at.length) continue;
      let result = "", from = 0;
      for (const i of at) { result += text.slice(from, i) + repl; from = i + needle.length; }
      out.push({ cue: c, count: at.length, text: result + text.slice(from) });
    }
    return { lang, out, total: out.reduce((n, p) => n + p.count, 0) };
  }
  function showCount() {
    const p = plan();
    $("wfcount").textContent = $("wffind").value ? `${p.total} chỗ trong ${p.out.length} câu` : "";
  }
  for (const id of ["wffind", "wfrepl", "wfcase", "wflang"]) $(id).addEventListener("input", showCount);
  $("wflang").addEventListener("change", showCount);
  const replaceAll = queued(async () => {
    const p = plan();
    if (!p.out.length) { $("wfcount").textContent = "Không tìm thấy."; return; }
    E.group = [];
    let changed = 0, places = 0;
    try {
      for (const item of p.out) {
        const cue = cuesOf(p.lang).find((c) => c.no === item.cue.no && c.version === item.cue.version)
          || cuesOf(p.lang).find((c) => c.text === item.cue.text && c.start_ms === item.cue.start_ms);
        if (!cue) continue;
        if (!(await save(p.lang, cue, { text: item.text }, null))) break;
        changed += 1; places += item.count;
      }
    } finally {
      if (E.group.length) { E.undo.push(E.group); E.redo = []; if (E.undo.length > LIMIT) E.undo.shift(); }
      E.group = null;
    }
    $("wfcount").textContent = `Đã thay ${places} chỗ trong ${changed} câu`;
    say("cmsg", `Đã thay ${places} chỗ trong ${changed} câu ${p.lang}; mỗi câu được lưu như câu đã duyệt.`, changed === p.out.length);
  });

  // -- the cue list's editor: lint's live reading speed, split at the caret, loop ----------------------------------
  document.addEventListener("review:editor", (ev) => {
    const { editor, text, lang, cue, inp, out, send } = ev.detail;
    E.sel = { lang, no: cue.no }; showSel();
    const gauge = el("div", { class: "gauge", "aria-live": "polite" });
    text.after(gauge);
    let timer = null, asked = 0;
    const measure = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const n = ++asked;
        const q = new URLSearchParams({ lang, text: text.value, start_tc: inp.input.value.trim(), end_tc: out.input.value.trim() });
        try {
          const r = await call(`/reading?${q}`);
          if (n !== asked) return;
          const over = r.cps != null && r.cps > r.max_cps + 1e-9;
          gauge.replaceChildren(
            el("span", { class: `cps ${over ? "over" : ""}`, "data-cps": r.cps == null ? "" : String(r.cps),
                         text: `${r.cps == null ? "∞" : num(r.cps)} ký tự/giây (tối đa ${num(r.max_cps)})` }),
            ...r.line_lengths.map((len, i) => el("span", { class: `line ${len > r.chars_per_line ? "over" : ""}`, "data-len": String(len),
              text: `Dòng ${i + 1}: ${len}/${r.chars_per_line}` })));
          gauge.title = r.issues.map(issueText).join("; ");
        } catch (e) {
          if (n === asked) gauge.replaceChildren(el("span", { class: "over", text: e.message }));
        }
      }, 120);
    };
    text.addEventListener("input", measure);
    for (const f of [inp, out]) { f.input.addEventListener("input", measure); f.input.addEventListener("keyup", measure); }
    editor.addEventListener("click", (e) => { if (e.target.closest("button.nudge, button.here")) measure(); });
    measure();
    const splitCaret = () => {
      const value = text.value, caret = text.selectionStart ?? 0;
      const flat = value.normalize("NFC").split(/\s+/).filter(Boolean).join(" ");
      const before = value.slice(0, caret).normalize("NFC").replace(/\s+/g, " ").replace(/^ /, "");
      send("split", { at_char: before.length, text: flat });
    };
    const btns = editor.querySelector(".btns");
    btns.prepend(el("button", { class: "splitcaret", text: "Tách tại con trỏ", title: "Tách câu ở ranh giới từ gần con trỏ nhất; thời gian chia theo số ký tự",
      onmousedown: (e) => e.preventDefault(), onclick: splitCaret }));
    btns.append(el("button", { class: "loopcue", text: "⟲ Lặp", title: "Phát lặp lại câu này (R)", onclick: () => { E.sel = { lang, no: cue.no }; if (E.loop) E.loop = null; toggleLoop(); } }));
  });

  // -- keys ---------------------------------------------------------------------------------------------------------
  document.addEventListener("keydown", (ev) => {
    const k = ev.key.toLowerCase();
    if ((ev.ctrlKey || ev.metaKey) && (k === "z" || k === "y")) {
      if (typing(ev.target)) return;  // in a text field the browser's own undo of the typing
      ev.preventDefault();
      undoRedo(k === "z" && !ev.shiftKey);
      return;
    }
    if (typing(ev.target) || ev.ctrlKey || ev.metaKey) return;
    const nudgeKey = { "[": ["start", -1], "]": ["start", 1], "{": ["end", -1], "}": ["end", 1] }[ev.key];
    if (nudgeKey && !ev.altKey) { nudge(...nudgeKey); ev.preventDefault(); }
    else if (!ev.altKey && k === "p") { nextProblem(); ev.preventDefault(); }
    else if (!ev.altKey && k === "r") { toggleLoop(); ev.preventDefault(); }
  });

  const ready = setInterval(() => {
    if (!info || !board) return;
    clearInterval(ready);
    load().catch((e) => note(`Không tải được trình sửa phụ đề: ${e.message}`));
  }, 100);
})();
