// The review room as a review tool: which deliverable to watch, range comments with a shape drawn on
// the picture, replies, resolved or open, deleted only by their author or a producer (`reportage review --producer NAME`), and a cue save that met
// someone else's keeping both texts. Loaded after programme.js, whose player, clock and `call` it uses.
// Times stay programme time whatever is watched (file time = programme time + offset); drawings are
// kept in fractions 0–1 of the programme frame and drawn through the deliverable's `picture` (where
// that frame sits in its own picture: pipeline/review/watch.py), so one box fits 16:9 and 9:16.
"use strict";
(() => {
  const canvas = $("draw");
  const WHOLE = { x: 0, y: 0, w: 1, h: 1 };
  const SHAPE = { rect: "khung", arrow: "mũi tên", pen: "nét vẽ tay" };
  let watchable = [], current = null, tool = "", stroke = null, pending = null;
  const choiceKey = `review-deliverable:${pid}`;

  // -- who is reviewing: asked once, kept in this browser (the server stores it with each note) -----
  function who() {
    let name = ($("nauthor").value || localStorage.getItem("review-author") || "").trim();
    if (!name) name = (prompt("Tên của bạn (người duyệt)? / Your name (reviewer)?") || "").trim();
    if (name) {
      localStorage.setItem("review-author", name);
      $("nauthor").value = name;
      if (!$("aauthor").value) $("aauthor").value = name;
    }
    return name;
  }

  // -- the deliverable watched ------------------------------------------------------------------------
  function durText(d) {
    const part = d.excerpt_ms ? ` (đoạn trích ${tc(d.excerpt_ms[0])}–${tc(d.excerpt_ms[1])})` : "";
    return `Thời lượng ${info.duration_tc} · xem: ${d.name}${part}`;
  }
  function choose(d) {
    const at = progMs();
    current = d;
    offset = d.offset_s;
    video.addEventListener("loadedmetadata", () => {
      const lo = d.excerpt_ms ? d.excerpt_ms[0] : 0, hi = d.excerpt_ms ? d.excerpt_ms[1] - 1 : info.duration_ms;
      seekMs(Math.min(Math.max(at, lo), hi));
      redraw();
    }, { once: true });
    video.src = `/files/${encodeURIComponent(pid)}/${d.url}`;
    setTracks();
    $("dur").textContent = durText(d);
    $("deliv").value = d.name;
    document.body.dataset.watching = d.name;
  }
  $("deliv").onchange = () => {
    const d = watchable.find((x) => x.name === $("deliv").value);
    if (d && d.playable) { localStorage.setItem(choiceKey, d.name); choose(d); }
    $("deliv").blur();  // a menu left focused would take ← and → as its own
  };
  // The subtitle tracks are in programme time; an excerpt or a leader moves them into file time.
  video.addEventListener("load", (ev) => {
    const t = ev.target;
    if (!(t instanceof HTMLTrackElement) || !offset || t.dataset.shifted) return;
    t.dataset.shifted = "1";
    for (const cue of t.track.cues || []) { cue.startTime += offset; cue.endTime += offset; }
    const mode = t.track.mode;  // drawn again at the new times (Chromium keeps a moved cue's old box)
    if (mode === "showing") { t.track.mode = "hidden"; t.track.mode = mode; }
  }, true);
  async function loadDeliverables() {
    const data = await call("/deliverables");
    watchable = data.deliverables;
    $("deliv").replaceChildren(...watchable.map((d) => el("option", {
      value: d.name, text: d.playable ? d.name + (d.vertical ? " (9:16)" : "") : `${d.name} — ${d.problem}`,
      ...(d.playable ? {} : { disabled: "" }) })));
    $("delivbox").hidden = !watchable.length;
    const playing = info.player && watchable.find((d) => d.name === info.player.name);
    current = playing || null;
    if (current) $("deliv").value = current.name;
    const wanted = watchable.find((d) => d.name === localStorage.getItem(choiceKey) && d.playable);
    if (wanted && wanted !== current) choose(wanted);
    else if (current) document.body.dataset.watching = current.name;
    redraw();
  }

  // -- the picture and the canvas over it -----------------------------------------------------------------
  function contentRect() {  // the picture inside the <video> box (object-fit: contain), CSS px
    const w = video.clientWidth, h = video.clientHeight;
    const vw = video.videoWidth || (current && current.width) || 16, vh = video.videoHeight || (current && current.height) || 9;
    const s = Math.min(w / vw, h / vh);
    return { x: (w - vw * s) / 2, y: (h - vh * s) / 2, w: vw * s, h: vh * s };
  }
  function frameRect() {  // the programme frame on screen: through the deliverable's picture area
    const c = contentRect(), p = (current && current.picture) || WHOLE;
    return { x: c.x + p.x * c.w, y: c.y + p.y * c.h, w: p.w * c.w, h: p.h * c.h };
  }
  const clamp = (v) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
  function fromScreen(ev) {
    const box = canvas.getBoundingClientRect(), f = frameRect();
    return [clamp((ev.clientX - box.left - f.x) / f.w), clamp((ev.clientY - box.top - f.y) / f.h)];
  }
  function fit() {
    const dpr = window.devicePixelRatio || 1, w = video.clientWidth, h = video.clientHeight;
    Object.assign(canvas.style, { left: `${video.offsetLeft}px`, top: `${video.offsetTop}px`, width: `${w}px`, height: `${h}px` });
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    return g;
  }
  function shapePath(g, d, f) {
    const pts = d.points.map(([x, y]) => [f.x + x * f.w, f.y + y * f.h]);
    g.beginPath();
    if (d.shape === "rect") {
      const [[x0, y0], [x1, y1]] = [pts[0], pts[pts.length - 1]];
      g.rect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    } else {
      pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      if (d.shape === "arrow") {
        const [x0, y0] = pts[0], [x1, y1] = pts[pts.length - 1], a = Math.atan2(y1 - y0, x1 - x0), head = 12;
        g.moveTo(x1, y1); g.lineTo(x1 - head * Math.cos(a - 0.45), y1 - head * Math.sin(a - 0.45));
        g.moveTo(x1, y1); g.lineTo(x1 - head * Math.cos(a + 0.45), y1 - head * Math.sin(a + 0.45));
      }
    }
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)].map((v) => Math.round(v * 10) / 10);
  }
  function paint(g, d, f, colour, label, dashed) {
    g.save();
    g.lineJoin = "round"; g.lineCap = "round";
    if (dashed) g.setLineDash([6, 4]);
    shapePath(g, d, f); g.strokeStyle = "rgba(0,0,0,.6)"; g.lineWidth = 5; g.stroke();
    const box = shapePath(g, d, f); g.strokeStyle = colour; g.lineWidth = 3; g.stroke();
    if (label) {
      g.setLineDash([]);
      g.font = "700 12px 'Noto Sans Review', sans-serif";
      const w = g.measureText(label).width + 8, x = Math.max(0, Math.min(box[0], canvas.clientWidth - w));
      const y = box[1] > 18 ? box[1] - 18 : box[3] + 2;
      g.fillStyle = "rgba(0,0,0,.7)"; g.fillRect(x, y, w, 16);
      g.fillStyle = "#fff"; g.fillText(label, x + 4, y + 12);
    }
    g.restore();
    return box;
  }
  function showing(ms) {  // the notes whose range holds the playhead (a point note: for a second)
    return notes.filter((n) => !n.parent && n.drawing && n.in_ms <= ms && ms <= Math.max(n.out_ms, n.in_ms + 1000));
  }
  function redraw() {
    if (!info) return;
    const g = fit(), f = frameRect(), shown = [];
    for (const n of showing(progMs())) {
      const box = paint(g, n.drawing, f, n.resolved_by ? "#34c759" : "#ff3b30", n.author, false);
      shown.push({ id: n.id, box });
    }
    if (stroke || pending) shown.push({ id: "", box: paint(g, stroke || pending, f, "#ffd60a", "", true) });
    canvas.dataset.shown = JSON.stringify(shown);  // what is drawn where, in CSS px of the canvas
    canvas.dataset.frame = JSON.stringify(f);
  }
  for (const ev of ["timeupdate", "seeked", "loadedmetadata", "resize", "pause"]) video.addEventListener(ev, redraw);
  new ResizeObserver(redraw).observe(video);
  (function loop() { if (!video.paused) redraw(); requestAnimationFrame(loop); })();

  // -- drawing tools -------------------------------------------------------------------------------
  function setTool(name) {
    tool = tool === name ? "" : name;
    for (const b of document.querySelectorAll("#ntools button[data-tool]")) b.classList.toggle("on", b.dataset.tool === tool);
    canvas.classList.toggle("drawing", !!tool);
    if (tool) { video.pause(); stopReverse(); $("stage").scrollIntoView({ block: "nearest" }); }  // the picture to draw on, in view
  }
  for (const b of document.querySelectorAll("#ntools button[data-tool]")) b.onclick = () => setTool(b.dataset.tool);
  $("nclear").onclick = () => { pending = null; stroke = null; $("nshape").textContent = ""; redraw(); };
  canvas.addEventListener("pointerdown", (ev) => {
    if (!tool) return;
    ev.preventDefault(); video.pause(); stopReverse();
    canvas.setPointerCapture(ev.pointerId);
    const p = fromScreen(ev);
    stroke = { shape: tool, points: tool === "pen" ? [p] : [p, p] };
    redraw();
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!stroke) return;
    const p = fromScreen(ev), pts = stroke.points, last = pts[pts.length - 1];
    if (stroke.shape !== "pen") pts[1] = p;
    else if (Math.hypot(p[0] - last[0], p[1] - last[1]) > 0.004) pts.push(p);
    redraw();
  });
  canvas.addEventListener("pointerup", () => {
    if (!stroke) return;
    const pts = stroke.points, a = pts[0], b = pts[pts.length - 1];
    if (pts.length >= 2 && (stroke.shape === "pen" || Math.hypot(b[0] - a[0], b[1] - a[1]) > 0.01)) {
      if (pts.length > 400) stroke.points = pts.filter((_, i) => i % Math.ceil(pts.length / 400) === 0 || i === pts.length - 1);
      pending = stroke;
      if (!$("nin").dataset.ms) setNote("in");
      $("nshape").textContent = `Đã vẽ ${SHAPE[pending.shape]} trên ${current ? current.name : "hình"} — sẽ gắn vào ghi chú.`;
    }
    stroke = null;
    redraw();
  });

  // -- notes: threads, replies, resolved, delete -------------------------------------------------------
  function range(n) { return n.out_ms > n.in_ms ? `${tc(n.in_ms)}–${tc(n.out_ms)}` : tc(n.in_ms); }
  async function send(path, opts, done) {
    try {
      const data = await call(path, opts);
      notes = data.notes; renderNotes(); renderMarks(); redraw();
      if (done) say("nmsg", done, true);
    } catch (e) {
      if (e.status === 403) say("nmsg", `Không được: ${e.message}` + (e.hint ? ` — ${e.hint}` : ""), false);
      else say("nmsg", errText(e), false);
    }
  }
  function replyForm(n, row) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("replyform")) { next.remove(); return; }
    const text = el("textarea", { class: "replytext", placeholder: "Trả lời ghi chú này…" });
    const form = el("tr", { class: "replyform", "data-parent": n.id }, el("td", { colspan: "4" }, text,
      el("div", { class: "btns" }, el("button", { class: "primary sendreply", text: "Gửi trả lời", onclick: () => {
        const author = who();
        if (author) send("/notes", { method: "POST", body: { parent: n.id, author, text: text.value } }, "Đã trả lời.");
      } }), el("button", { text: "Hủy", onclick: () => form.remove() }))));
    row.after(form);
    text.focus();
  }
  function confirmDelete(n, row) {
    if (row.nextElementSibling && row.nextElementSibling.classList.contains("confirm")) return;
    const replies = notes.filter((r) => r.parent === n.id).length;
    const ask = el("tr", { class: "confirm" }, el("td", { colspan: "4" },
      el("span", { text: `Xóa ghi chú của ${n.author}` + (replies ? ` và ${replies} trả lời` : "") + "? Không hoàn tác được. " }),
      el("button", { class: "warn confirmdel", text: "Xóa hẳn", onclick: () => {
        const by = who();
        if (by) send(`/notes/${n.id}`, { method: "DELETE", body: { by } }, "Đã xóa ghi chú.");
      } }), " ", el("button", { class: "keep", text: "Thôi", onclick: () => ask.remove() })));
    row.after(ask);
  }
  function renderNotes() {
    const t = $("notes");
    t.replaceChildren(el("tr", {}, el("th", { text: "Vào–Ra" }), el("th", { text: "Người ghi" }), el("th", { text: "Nội dung" }), el("th")));
    for (const n of notes.filter((x) => !x.parent)) {
      const tags = [];
      if (n.drawing) tags.push(el("span", { class: "tag draw", text: `✎ ${SHAPE[n.drawing.shape] || n.drawing.shape}`,
        title: n.deliverable ? `Vẽ trên ${n.deliverable}` : "Có hình vẽ" }));
      if (n.deliverable) tags.push(el("span", { class: "tag", text: n.deliverable }));
      if (n.resolved_by) tags.push(el("span", { class: "tag resolved", text: `✓ Đã xử lý — ${n.resolved_by}`, title: n.resolved_at || "" }));
      const row = el("tr", { class: "note" + (n.resolved_by ? " resolved" : ""), "data-id": n.id },
        el("td", { class: "tc seek", text: range(n), title: "Tua tới điểm vào", onclick: () => seekMs(n.in_ms) }),
        el("td", { class: "who", text: n.author }), el("td", {}, el("div", { class: "ntext", text: n.text }), ...tags),
        el("td", { class: "acts" },
          el("button", { class: "reply", text: "Trả lời", onclick: () => replyForm(n, row) }),
          el("button", { class: "resolve", text: n.resolved_by ? "Mở lại" : "✓ Đã xử lý",
            title: n.resolved_by ? "Đánh dấu chưa xử lý" : "Đánh dấu đã xử lý", onclick: () => {
              const by = who();
              if (by) send(`/notes/${n.id}/resolve`, { method: "POST", body: { by, resolved: !n.resolved_by } },
                n.resolved_by ? "Đã mở lại ghi chú." : "Đã đánh dấu đã xử lý.");
            } }),
          el("button", { class: "del", text: "Xóa", title: "Xóa ghi chú (chỉ người viết)", onclick: () => confirmDelete(n, row) })));
      t.append(row);
      for (const r of notes.filter((x) => x.parent === n.id)) {
        t.append(el("tr", { class: "reply" + (n.resolved_by ? " resolved" : ""), "data-parent": n.id, "data-id": r.id },
          el("td"), el("td", { class: "who", text: `↳ ${r.author}` }), el("td", { colspan: "2", text: r.text })));
      }
    }
  }
  window.renderNotes = renderNotes;
  $("nadd").onclick = async () => {
    const author = who();
    if (!author) { say("nmsg", "Cần tên người ghi (ô Người ghi).", false); return; }
    const inMs = $("nin").dataset.ms ? Number($("nin").dataset.ms) : progMs();
    const outMs = $("nout").dataset.ms ? Number($("nout").dataset.ms) : inMs;
    const body = { in_ms: inMs, out_ms: outMs, author, text: $("ntext").value, drawing: pending,
                   deliverable: current ? current.name : null };
    try {
      const data = await call("/notes", { method: "POST", body });
      notes = data.notes; $("ntext").value = ""; for (const id of ["nin", "nout"]) { $(id).value = ""; delete $(id).dataset.ms; }
      pending = null; $("nshape").textContent = ""; if (tool) setTool(tool);
      renderNotes(); renderMarks(); redraw(); say("nmsg", "Đã thêm ghi chú.", true);
    } catch (e) { say("nmsg", errText(e), false); }
  };

  // -- a cue save that met someone else's: both texts kept, the reviewer merges ------------------------
  // programme.js's editor calls this on a 409 with the cue as saved now: the reviewer's own words stay
  // in the box, the other reviewer's are shown beside them, and the next Save goes on from theirs.
  window.keepBothTexts = (editor, box, theirs) => {
    editor.querySelectorAll(".conflict").forEach((c) => c.remove());
    const mine = box.value;
    editor.prepend(el("div", { class: "conflict", role: "alert" },
      el("b", { text: "Người khác đã lưu câu này trước bạn. Không mất gì: bản của bạn vẫn ở ô dưới — gộp hai bản rồi bấm Lưu lần nữa." }),
      el("div", { class: "sub", text: "Bản đã lưu (của người khác):" }), el("div", { class: "theirs", text: theirs.text }),
      el("div", { class: "sub", text: "Bản của bạn:" }), el("div", { class: "mine", text: mine }),
      el("div", { class: "btns" },
        el("button", { class: "usetheirs", text: "Chép bản đã lưu vào ô sửa", onclick: () => { box.value = theirs.text; box.focus(); } }),
        el("button", { class: "usemine", text: "Lấy lại bản của tôi", onclick: () => { box.value = mine; box.focus(); } }))));
    say("cmsg", "Xung đột khi lưu: hãy gộp hai bản trong ô sửa rồi Lưu lại.", false);
  };

  document.addEventListener("review:info", () => {
    $("nauthor").value = $("nauthor").value || localStorage.getItem("review-author") || "";
    loadDeliverables().catch((e) => say("nmsg", "Không tải được danh sách bản dựng: " + e.message, false));
  });
})();
