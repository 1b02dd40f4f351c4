"use strict";
// mcgen studio: the page. Uses the viewer's MC (gl.js: decoding, meshing, WebGL, camera, picking).
(function () {
  const $ = (id) => document.getElementById(id);
  const T = (window.mcgenStudio = { ready: false, errors: [], jobs: {}, picked: null, cards: {} });
  const state = { models: [], health: null, picked: null, cmpSource: null, cmpRec: null, pasteJob: null };

  function toast(msg, bad) {
    const t = $("toast");
    t.textContent = String(msg); t.className = bad ? "bad" : ""; t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 7000 : 3500);
    if (bad) T.errors.push(String(msg));
  }
  window.addEventListener("error", (e) => toast(e.message, true));

  async function api(path, opts) {
    const res = await fetch(path, opts);
    const type = res.headers.get("content-type") || "";
    const body = type.includes("json") ? await res.json() : await res.text();
    if (!res.ok) throw new Error((body && body.error) || `${res.status} ${res.statusText}`);
    return body;
  }
  const post = (path, data) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
  const el = MC.el;  // a new element (class, text, parent), from gl.js
  const num = (id) => { const v = $(id).value.trim(); return v === "" ? null : Number(v); };

  // --- records (viewer JSON of a structure), decoded once ---------------------------------------
  const recs = new Map();
  async function record(id) {
    if (!recs.has(id)) {
      const rec = await api(`/api/structures/${id}/view`);
      rec.vox = MC.decode(rec);
      rec.givenMask = MC.decodeGiven(rec);
      recs.set(id, rec);
    }
    return recs.get(id);
  }
  const frame = (rec) => MC.frame(rec, rec.vox);  // as the viewer frames a structure

  // --- the big interactive view ------------------------------------------------------------------
  class Viewer {
    constructor(host, onPick) {
      this.host = host; this.onPick = onPick; this.rec = null; this.mask = null; this.hover = null;
      this.canvas = el("canvas", "view", null, host);
      this.caption = el("div", "caption", null, host);
      this.capName = el("div", "cap-name", null, this.caption);
      this.capSub = el("div", "cap-sub muted", null, this.caption);
      this.actions = el("div", "actions", null, host);
      this.tip = el("div", "tooltip", null, host); this.tip.hidden = true;
      this.empty = el("div", "center-msg muted", "nothing to show yet", host);
      el("div", "help muted", "drag: orbit · right-drag: pan · wheel: zoom · double-click: reset", host);
      this.cam = new MC.Camera();
      try { this.R = new MC.Renderer(this.canvas); } catch (e) { this.R = null; toast(e.message, true); }
      this.listen();
      new ResizeObserver(() => this.draw()).observe(this.canvas);
    }
    listen() {
      const c = this.canvas;
      let drag = null;
      c.addEventListener("contextmenu", (e) => e.preventDefault());
      c.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY, x0: e.clientX, y0: e.clientY, pan: e.button !== 0 || e.shiftKey }; c.setPointerCapture(e.pointerId); });
      c.addEventListener("pointerup", (e) => {
        if (drag && Math.abs(e.clientX - drag.x0) + Math.abs(e.clientY - drag.y0) < 4 && !drag.pan) this.click(e);
        drag = null; c.releasePointerCapture(e.pointerId);
      });
      c.addEventListener("pointermove", (e) => {
        if (!drag) { this.hoverAt(e); return; }
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        drag.x = e.clientX; drag.y = e.clientY;
        if (drag.pan) this.cam.pan(dx, dy, c.clientHeight); else this.cam.orbit(dx, dy);
        this.draw();
      });
      c.addEventListener("pointerleave", () => { this.tip.hidden = true; if (this.hover) { this.hover = null; this.draw(); } });
      c.addEventListener("wheel", (e) => { e.preventDefault(); this.cam.zoom(Math.exp(e.deltaY * 0.0012)); this.draw(); }, { passive: false });
      c.addEventListener("dblclick", () => { if (this.rec) { this.cam.reset(this.rec.size, frame(this.rec)); this.draw(); } });
    }
    show(rec, opts) {
      const same = this.rec && rec && this.rec.id === rec.id;
      this.rec = rec; this.mask = (opts && opts.mask) || null;
      this.empty.hidden = !!(rec && rec.count);
      if (rec && !rec.count) this.empty.textContent = "empty structure (all air)";
      if (!rec) { this.capName.textContent = ""; this.capSub.textContent = ""; if (this.R) { this.R.count = this.R.tcount = 0; this.draw(); } return; }
      if (!same) this.cam.reset(rec.size, frame(rec));
      this.capName.textContent = rec.name + (rec.meta && rec.meta.label ? ` · ${rec.meta.label}` : "");
      let sub = `${rec.size.join(" × ")} · ${rec.count} blocks · ${rec.palette.length - 1} block states`;
      if (rec.given) sub += ` · ${rec.given_count} given, ${rec.generated_count} generated`;
      this.capSub.textContent = sub;
      this.rebuild();
    }
    setMask(mask) { this.mask = mask; this.rebuild(); }
    rebuild() {
      if (!this.R || !this.rec) return;
      const dim = this.mask || this.rec.givenMask;
      this.mesh = MC.buildMesh(this.rec, this.rec.vox, 1 << 20, true, dim);
      this.R.upload(this.mesh);
      this.draw();
    }
    draw() {
      if (!this.R) return;
      const c = this.canvas, dpr = Math.min(2, window.devicePixelRatio || 1);
      const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
      if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
      const hv = this.hover ? [this.hover.x, this.hover.y, this.hover.z, 1] : null;
      this.R.draw(this.cam.matrix(c.width / c.height), hv);
    }
    hit(e) {
      if (!this.rec) return null;
      const r = this.canvas.getBoundingClientRect();
      return MC.pick(this.rec.size, this.rec.vox, 1 << 20, this.cam.ray(e.clientX - r.left, e.clientY - r.top, r.width, r.height));
    }
    hoverAt(e) {
      const h = this.hit(e), same = h && this.hover && h.x === this.hover.x && h.y === this.hover.y && h.z === this.hover.z;
      if (!same) { this.hover = h; this.draw(); }
      if (!h) { this.tip.hidden = true; return; }
      const rec = this.rec, [X, , Z] = rec.size, i = (h.y * Z + h.z) * X + h.x, s = rec.palette[rec.vox[i]];
      this.tip.textContent = "";
      el("div", "state", s.replace(/\[.*$/, ""), this.tip);
      if (s.includes("[")) el("div", "props", s.slice(s.indexOf("[") + 1, -1).split(",").join("  "), this.tip);
      el("div", "xyz", `x ${h.x}  y ${h.y}  z ${h.z}`, this.tip);
      if (rec.givenMask) el("div", "props", rec.givenMask[i] ? "given" : "generated", this.tip);
      const r = this.canvas.getBoundingClientRect();
      this.tip.hidden = false;
      this.tip.style.left = Math.min(e.clientX - r.left + 16, r.width - this.tip.offsetWidth - 6) + "px";
      this.tip.style.top = Math.min(e.clientY - r.top + 16, r.height - this.tip.offsetHeight - 6) + "px";
    }
    click(e) { const h = this.hit(e); if (h && this.onPick) this.onPick(h); }
  }

  // --- thumbnails: one off-screen renderer copied into 2-D canvases ----------------------------
  const TH = 240;
  let TR = null;
  function thumb(rec, canvas, dim) {
    if (!TR) { const c = document.createElement("canvas"); c.width = TH; c.height = TH; TR = new MC.Renderer(c, { preserveDrawingBuffer: true }); }
    const cam = new MC.Camera();
    cam.reset(rec.size, frame(rec));
    TR.upload(MC.buildMesh(rec, rec.vox, 1 << 20, false, dim ? rec.givenMask : null));
    TR.draw(cam.matrix(1));
    canvas.getContext("2d").drawImage(TR.canvas, 0, 0);
  }

  // A results strip: cards with a preview each; clicking shows it, "Pick" picks it.
  class Results {
    constructor(host, viewer, kind) { this.host = host; this.viewer = viewer; this.kind = kind; this.ids = []; }
    clear(text) { this.host.textContent = ""; this.ids = []; if (text) el("div", "placeholder muted", text, this.host); }
    async add(id) {
      if (this.ids.includes(id)) return;
      if (!this.ids.length) this.host.textContent = "";
      this.ids.push(id);
      const rec = await record(id);
      const card = el("div", "card", null, this.host);
      card.dataset.id = id;
      const c = el("canvas", null, null, card); c.width = TH; c.height = TH;
      const row = el("div", "card-row", null, card);
      el("div", "card-name", rec.name, row).title = rec.name;
      el("div", "card-sub muted", rec.given ? `+${rec.generated_count} blocks` : `${rec.count} blocks`, row);
      const pick = el("button", "pick", "Pick", card);
      try { if (this.viewer.R) thumb(rec, c, !!rec.given); } catch (e) { toast(e.message, true); }
      card.addEventListener("click", () => this.select(id));
      pick.addEventListener("click", (ev) => { ev.stopPropagation(); this.select(id); pickStructure(id); });
      T.cards[id] = true;
      if (this.ids.length === 1) this.select(id);
    }
    select(id) {
      for (const c of this.host.querySelectorAll(".card")) c.classList.toggle("sel", c.dataset.id === id);
      record(id).then((rec) => this.viewer.show(rec));
    }
  }

  // --- jobs: submit, poll, show progress, hand out results ---------------------------------------
  function watch(job, box, onResult) {
    const bar = box.querySelector(".bar > div"), msg = box.querySelector(".msg"), cancel = box.querySelector(".cancel");
    box.hidden = false; bar.style.width = "0%"; cancel.disabled = false; cancel.hidden = false;
    cancel.onclick = () => { cancel.disabled = true; post(`/api/jobs/${job.id}/cancel`, {}).catch((e) => toast(e.message, true)); };
    const seen = new Set();
    return new Promise((resolve) => {
      const tick = async () => {
        let j;
        try { j = await api(`/api/jobs/${job.id}`); } catch (e) { toast(e.message, true); setTimeout(tick, 1000); return; }
        T.jobs[j.id] = j;
        bar.style.width = `${Math.round(100 * j.progress.fraction)}%`;
        msg.textContent = j.state === "queued" ? "waiting in the queue" : j.progress.message;
        for (const id of j.results) if (!seen.has(id)) { seen.add(id); if (onResult) await onResult(id); }
        if (["done", "failed", "cancelled"].includes(j.state)) {
          cancel.hidden = true;
          const secs = j.started && j.finished ? ` in ${(j.finished - j.started).toFixed(1)} s` : "";
          msg.textContent = j.state === "done" ? `done${secs}` : j.state === "failed" ? `failed: ${j.error}` : "cancelled";
          box.classList.toggle("failed", j.state === "failed");
          if (j.state === "failed") toast(j.error, true);
          resolve(j);
          return;
        }
        setTimeout(tick, 250);
      };
      tick();
    });
  }

  // --- models -------------------------------------------------------------------------------------
  function fillModels(select) {
    select.textContent = "";
    for (const m of state.models) {
      const o = el("option", null, m.error ? `${m.name} (unreadable)` : m.name, select);
      o.value = m.name; o.disabled = !!m.error;
    }
    if (!state.models.length) el("option", null, "no models (start with --models DIR)", select).value = "";
  }
  function fillLabels(modelSelect, labelSelect, stepsInput) {
    const m = state.models.find((x) => x.name === modelSelect.value);
    labelSelect.textContent = "";
    if (!m || m.error) return;
    if (m.labels.length) {
      for (const l of m.labels) el("option", null, l, labelSelect).value = l;
      el("option", null, "each in turn", labelSelect).value = "all";
      el("option", null, "any (unconditional)", labelSelect).value = "";
    } else el("option", null, "(unconditional model)", labelSelect).value = "";
    stepsInput.placeholder = `default ${m.steps}`;
    return m;
  }

  // --- Generate page ------------------------------------------------------------------------------
  const genView = new Viewer($("gen-stage"));
  const genResults = new Results($("gen-cards"), genView, "generated");
  genView.actions.appendChild(actionButton("Pick this build", () => genView.rec && pickStructure(genView.rec.id)));
  function actionButton(text, fn) { const b = el("button", null, text); b.type = "button"; b.addEventListener("click", fn); return b; }

  $("gen-model").addEventListener("change", () => {
    const m = fillLabels($("gen-model"), $("gen-label"), $("gen-steps"));
    $("gen-model-info").textContent = m ? `${m.objective} · ${m.grid_size}³ grid · trained ${m.step} steps` : "";
  });
  $("gen-dice").addEventListener("click", () => { $("gen-seed").value = Math.floor(Math.random() * 1e6); });
  $("gen-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const go = $("gen-go");
    const body = { model: $("gen-model").value, label: $("gen-label").value || null, count: num("gen-count"),
      seed: num("gen-seed"), steps: num("gen-steps"), cleanup: $("gen-cleanup").value };
    go.disabled = true;
    try {
      const job = await post("/api/generate", body);
      T.lastGenerate = job.id;
      genResults.clear();
      genResults.host.textContent = "";
      await watch(job, $("gen-job"), (id) => genResults.add(id));
    } catch (err) { toast(err.message, true); } finally { go.disabled = false; }
  });

  // --- picking: the structure the Download / place page works on ---------------------------------
  async function pickStructure(id) {
    const rec = await record(id);
    state.picked = id; T.picked = id;
    $("picked-chip").hidden = false; $("picked-chip").textContent = `picked: ${rec.name}`;
    $("cmp-use-picked").disabled = false;
    for (const c of document.querySelectorAll(".card")) c.classList.toggle("picked", c.dataset.id === id);
    showPlace();
    toast(`picked ${rec.name}: see Download / place`);
  }

  // --- Complete page ------------------------------------------------------------------------------
  const cmpView = new Viewer($("cmp-stage"), (hit) => clickRegion(hit));
  const cmpResults = new Results($("cmp-cards"), cmpView, "completed");
  cmpView.actions.appendChild(actionButton("Keep this one", () => cmpView.rec && pickStructure(cmpView.rec.id)));
  cmpView.actions.appendChild(actionButton("Show the input", () => state.cmpRec && showSource()));
  const mode = () => document.querySelector("input[name=cmp-mode]:checked").value;
  let corner = 0;
  function clickRegion(hit) {
    if (!state.cmpRec || cmpView.rec !== state.cmpRec) return;
    if (mode() === "above") { $("cmp-above").value = hit.y + (hit.normal[1] > 0 ? 1 : 0); }
    else if (mode() === "region") {
      const k = corner === 0 ? 1 : 2;
      $(`cmp-x${k}`).value = hit.x; $(`cmp-y${k}`).value = hit.y; $(`cmp-z${k}`).value = hit.z;
      corner = 1 - corner;
    }
    highlight();
  }
  // Dim the cells that will be regenerated, so the kept part stands out.
  function highlight() {
    const rec = state.cmpRec;
    if (!rec || cmpView.rec !== rec) return;
    const [X, Y, Z] = rec.size, m = new Uint8Array(X * Y * Z), md = mode();
    let n = 0;
    const box = ["x1", "y1", "z1", "x2", "y2", "z2"].map((k) => num(`cmp-${k}`) || 0);
    for (let y = 0; y < Y; y++) for (let z = 0; z < Z; z++) for (let x = 0; x < X; x++) {
      let on = false;
      if (md === "above") on = y >= (num("cmp-above") || 0);
      else if (md === "region") on = x >= Math.min(box[0], box[3]) && x <= Math.max(box[0], box[3]) && y >= Math.min(box[1], box[4]) && y <= Math.max(box[1], box[4]) && z >= Math.min(box[2], box[5]) && z <= Math.max(box[2], box[5]);
      const i = (y * Z + z) * X + x;
      if (on) { m[i] = 1; if (rec.vox[i]) n++; }
    }
    cmpView.setMask(m);
    $("cmp-click-hint").textContent = md === "fill_air" ? "Every air cell inside the structure gets regenerated; all blocks stay."
      : `${n} of ${rec.count} blocks (grey) will be regenerated; click a block to set ${md === "above" ? "the height" : "a box corner"}.`;
  }
  for (const id of ["cmp-above", "cmp-x1", "cmp-y1", "cmp-z1", "cmp-x2", "cmp-y2", "cmp-z2"]) $(id).addEventListener("input", highlight);
  for (const r of document.querySelectorAll("input[name=cmp-mode]")) r.addEventListener("change", highlight);
  function showSource() { cmpView.show(state.cmpRec); highlight(); }
  async function setSource(id) {
    state.cmpSource = id; state.cmpRec = await record(id);
    const r = state.cmpRec;
    $("cmp-source").textContent = `${r.name}: ${r.size.join(" × ")}, ${r.count} blocks`;
    $("cmp-above").value = Math.max(1, Math.floor(r.size[1] / 2));
    $("cmp-x2").value = r.size[0] - 1; $("cmp-y2").value = r.size[1] - 1; $("cmp-z2").value = r.size[2] - 1;
    $("cmp-go").disabled = false;
    cmpResults.clear("Alternatives appear here.");
    showSource();
  }
  $("cmp-file").addEventListener("change", async () => {
    const f = $("cmp-file").files[0];
    if (!f) return;
    try {
      const s = await api(`/api/structures?filename=${encodeURIComponent(f.name)}`, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: f });
      await setSource(s.id);
    } catch (e) { toast(e.message, true); }
  });
  $("cmp-use-picked").addEventListener("click", () => state.picked && setSource(state.picked));
  $("cmp-model").addEventListener("change", () => fillLabels($("cmp-model"), $("cmp-label"), $("cmp-steps")));
  $("cmp-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const md = mode(), body = { model: $("cmp-model").value, structure: state.cmpSource, mode: md,
      label: $("cmp-label").value || null, count: num("cmp-count"), seed: num("cmp-seed"), steps: num("cmp-steps") };
    if (md === "above") body.above = num("cmp-above");
    if (md === "region") body.region = ["x1", "y1", "z1", "x2", "y2", "z2"].map((k) => num(`cmp-${k}`));
    $("cmp-go").disabled = true;
    try {
      const job = await post("/api/complete", body);
      cmpResults.clear();
      await watch(job, $("cmp-job"), (id) => cmpResults.add(id));
    } catch (err) { toast(err.message, true); } finally { $("cmp-go").disabled = false; }
  });

  // --- Download / place page ----------------------------------------------------------------------
  const plView = new Viewer($("pl-stage"));
  function downloadLink() {
    if (!state.picked) return;
    const v = $("pl-version").value, q = new URLSearchParams({ format: $("pl-format").value });
    if (v) q.set("mc_version", v);
    $("pl-download").href = `/api/structures/${state.picked}/export?${q}`;
  }
  $("pl-format").addEventListener("change", downloadLink);
  $("pl-version").addEventListener("change", downloadLink);
  async function showPlace() {
    if (!state.picked) return;
    const rec = await record(state.picked);
    $("pl-none").hidden = true; $("pl-body").hidden = false;
    $("pl-name").textContent = rec.name;
    $("pl-sub").textContent = `${rec.size.join(" × ")} · ${rec.count} blocks · ${rec.palette.length - 1} block states`;
    downloadLink();
    $("mat-csv").href = `/api/structures/${state.picked}/materials?format=csv`;
    $("pl-result").hidden = true; $("pl-job").hidden = true;
    if (!$("page-place").hidden) plView.show(rec);
    const mats = await api(`/api/structures/${state.picked}/materials`);
    const tb = $("mat-table").tBodies[0];
    tb.textContent = "";
    for (const r of mats.items) {
      const tr = el("tr", null, null, tb);
      el("td", "num", String(r.count), tr);
      el("td", null, r.item.replace(/^minecraft:/, ""), tr).title = r.item;
      el("td", "muted", r.count >= r.stack ? r.stacks : "", tr);
    }
    $("mat-total").textContent = `${mats.total} items, ${mats.items.length} kinds`;
    $("mat-noitem").textContent = mats.no_item.length ? "No item places: " + mats.no_item.map((r) => `${r.count} ${r.block.replace(/^minecraft:/, "")}`).join(", ") : "";
  }
  async function loadWorlds() {
    const w = await api("/api/worlds").catch(() => []);
    const sel = $("pl-world");
    sel.textContent = "";
    for (const x of w) { const o = el("option", null, x.error ? `${x.name} (unreadable)` : `${x.name} (${x.version}${x.locked ? ", open in the game" : ""})`, sel); o.value = x.name; o.disabled = !!x.error; }
    const on = state.health && state.health.worlds_folder;
    $("pl-paste").hidden = !on || !w.length;
    $("pl-noworlds").hidden = on && w.length;
    $("pl-noworlds").textContent = on ? "The worlds folder holds no saves." : "Pasting is off: start the studio with --worlds DIR.";
  }
  $("pl-go").addEventListener("click", async () => {
    const where = document.querySelector("input[name=pl-where]:checked").value;
    const body = { structure: state.picked, world: $("pl-world").value, rotate: Number($("pl-rotate").value),
      mirror: $("pl-mirror").checked, dry_run: $("pl-dry").checked };
    if (where === "at") { body.at = [num("pl-x"), num("pl-y"), num("pl-z")]; body.on_ground = $("pl-ground").checked; }
    $("pl-go").disabled = true; $("pl-result").hidden = true;
    try {
      const job = await post("/api/paste", body);
      const j = await watch(job, $("pl-job"));
      state.pasteJob = j; T.lastPaste = j;
      if (j.state === "done") showPasted(j.report);
      loadWorlds();
    } catch (err) { toast(err.message, true); } finally { $("pl-go").disabled = false; }
  });
  function showPasted(r) {
    const b = r.boxes[0];
    $("pl-result").hidden = false;
    $("pl-result-text").textContent = (r.dry_run ? "Dry run: would paste" : "Pasted") + ` into ${r.world} (${r.version}): ${b.min.join(" ")} to ${b.max.join(" ")}, ${b.blocks} blocks` + (r.backup ? `; backup ${r.backup}` : "");
    $("pl-tp").textContent = b.tp;
    $("pl-undo").hidden = !r.backup;
  }
  $("pl-copy").addEventListener("click", () => { navigator.clipboard && navigator.clipboard.writeText($("pl-tp").textContent); toast("copied"); });
  $("pl-undo").addEventListener("click", async () => {
    const r = state.pasteJob && state.pasteJob.report;
    if (!r) return;
    try {
      const job = await post(`/api/worlds/${encodeURIComponent(r.world)}/restore`, { backup: r.backup });
      const j = await watch(job, $("pl-job"));
      if (j.state === "done") { toast(`restored ${j.report.backup}: ${j.report.files.length} file(s)`); $("pl-undo").hidden = true; }
    } catch (err) { toast(err.message, true); }
  });

  // --- tabs, queue, start -------------------------------------------------------------------------
  function tab(name) {
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
    for (const p of document.querySelectorAll(".page")) p.hidden = p.id !== `page-${name}`;
    if (name === "place" && state.picked) record(state.picked).then((rec) => plView.show(rec));
    for (const v of [genView, cmpView, plView]) v.draw();
    if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  }
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => tab(b.dataset.tab));
  async function queue() {
    try {
      const h = await api("/api/health");
      const q = h.queue;
      $("queue").textContent = q.running || q.queued ? `${q.running} running · ${q.queued} queued` : "idle";
    } catch (e) { $("queue").textContent = "server not reachable"; }
    setTimeout(queue, 2000);
  }

  async function start() {
    state.health = await api("/api/health");
    const vs = $("pl-version");
    el("option", null, `default (${state.health.mc_default})`, vs).value = "";
    for (const v of state.health.mc_versions.slice().reverse()) el("option", null, v, vs).value = v;
    state.models = await api("/api/models");
    for (const [m, l, s] of [["gen-model", "gen-label", "gen-steps"], ["cmp-model", "cmp-label", "cmp-steps"]]) {
      fillModels($(m)); fillLabels($(m), $(l), $(s));
    }
    $("gen-model").dispatchEvent(new Event("change"));
    $("gen-go").disabled = !state.models.some((m) => !m.error);
    await loadWorlds();
    queue();
    const h = location.hash.slice(1);
    tab(["generate", "complete", "place"].includes(h) ? h : "generate");
    T.ready = true;
  }
  T.pick = pickStructure;
  T.tab = tab;
  start().catch((e) => toast(e.message, true));
})();
