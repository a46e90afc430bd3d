// The list of every programme in the workspace: stage states, QC verdict, approval.
"use strict";
const STAGES = { ingest: "Nhập", transcribe: "Nhận dạng lời", assemble: "Dựng", conform: "Chuẩn hoá", subtitles: "Phụ đề",
                 render: "Kết xuất", qc: "Kiểm tra", publish: "Xuất bản", package: "Đóng gói" };
const APPROVAL = { approved: "Đã duyệt", stale: "Đã thay đổi sau khi duyệt", changes_requested: "Yêu cầu sửa", none: "Chưa duyệt" };
const VERDICT = { PASS: "Đạt", WARN: "Cảnh báo", FAIL: "Lỗi" };
function el(tag, attrs = {}, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) { if (k === "class") n.className = v; else if (k === "text") n.textContent = v; else n.setAttribute(k, v); }
  for (const kid of kids) if (kid != null) n.append(kid);
  return n;
}
// The stage running now (progress.json, pipeline/records/progress.py): its longest task's share
// done and the time left at its pace, e.g. "đang chạy 45 % · còn 3 phút".
function minutes(s) { return s < 90 ? `${Math.max(1, Math.round(s))} giây` : `${Math.round(s / 60)} phút`; }
function running(r) {
  const t = r.tasks[0];
  const pct = t ? Math.floor(100 * Math.min(1, t.done / Math.max(t.total, 1e-9))) : 0;
  const left = t && t.eta_s != null ? ` · còn ${minutes(t.eta_s)}` : "";
  const all = r.tasks.map((x) => `${x.task}: ${Math.floor(100 * Math.min(1, x.done / Math.max(x.total, 1e-9)))} %`
    + (x.eta_s != null ? `, còn ${minutes(x.eta_s)}` : "")).join("\n");
  return el("span", { class: "badge running", title: all, text: `đang chạy ${pct} %${left}` });
}
// The list is read again every 5 s while a stage runs somewhere, so its progress moves on.
function load() { fetch("/api/programmes").then((r) => r.json()).then((data) => {
  document.getElementById("where").textContent = data.workspace;
  const t = document.getElementById("list");
  t.replaceChildren();
  t.append(el("tr", {}, el("th", { text: "Chương trình" }), ...Object.values(STAGES).map((s) => el("th", { text: s })),
    el("th", { text: "Kiểm tra kỹ thuật" }), el("th", { text: "Duyệt" })));
  for (const p of data.programmes) {
    const cells = Object.keys(STAGES).map((s) => {
      const st = p.stages[s];
      if (p.running && p.running.stage === s) return el("td", {}, running(p.running));
      if (!st) return el("td", { text: "—" });
      const when = new Date(st.last * 1000).toLocaleString("vi-VN");
      return el("td", { title: `${st.done} xong, ${st.failed} lỗi · ${when}` },
        el("span", { class: `badge ${st.state}`, text: st.state === "done" ? "xong" : "lỗi" }));
    });
    t.append(el("tr", { class: "programme" },
      el("td", {}, el("a", { href: `/p/${encodeURIComponent(p.id)}`, text: p.title || p.id }), p.title ? ` (${p.id})` : ""),
      ...cells,
      el("td", {}, p.qc ? el("span", { class: `badge ${p.qc}`, text: VERDICT[p.qc] || p.qc }) : "—"),
      el("td", {}, el("span", { class: `badge ${p.approval.state}`, text: APPROVAL[p.approval.state] || p.approval.state }))));
  }
  if (!data.programmes.length) t.append(el("tr", {}, el("td", { text: "Không có chương trình nào trong thư mục làm việc này." })));
  if (data.programmes.some((p) => p.running)) setTimeout(load, 5000);
}); }
load();
