// mcgen viewer: the page (thumbnails, main view, hover, y-slice, training step slider).
(function () {
  const $ = (id) => document.getElementById(id);
  const api = (window.mcgenViewer = { ready: false, errors: [], stats: {} });
  const fatal = (msg) => { api.errors.push(String(msg)); $("fatal").hidden = false; $("fatal").textContent = String(msg); };
  window.addEventListener("error", (e) => fatal(e.message));

  const data = JSON.parse($("mcgen-data").textContent);
  const S = data.structures, T = data.training || null;
  const voxCache = new Map();
  const vox = (i) => { if (!voxCache.has(i)) voxCache.set(i, MC.decode(S[i])); return voxCache.get(i); };
  // Which cells were given (completed structures only; null for the rest).
  const givenCache = new Map();
  const givenOf = (i) => { if (!givenCache.has(i)) givenCache.set(i, MC.decodeGiven(S[i])); return givenCache.get(i); };
  const st = { cur: -1, sliceOn: false, sliceY: 0, step: 0, slot: 0, hover: null, playing: null, markGen: true };

  // --- main view ----------------------------------------------------------------------------
  const canvas = $("view"), cam = new MC.Camera();
  let R = null, pending = false, mesh = null;
  try { R = new MC.Renderer(canvas); } catch (e) { fatal(e.message); }

  function fit() {
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  }
  function drawNow() {
    if (!R) return;
    fit();
    const h = st.hover ? [st.hover.x, st.hover.y, st.hover.z, 1] : null;
    R.draw(cam.matrix(canvas.width / canvas.height), h);
  }
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; drawNow(); });
  }
  const frame = (i) => MC.frame(S[i], vox(i));
  const cutY = () => (st.sliceOn ? st.sliceY : 1 << 20);

  // Build the buffer for the shown structure and draw it; the time is kept for the tests.
  function rebuild() {
    if (!R || st.cur < 0) return;
    const t0 = performance.now();
    mesh = MC.buildMesh(S[st.cur], vox(st.cur), cutY(), true, st.markGen ? givenOf(st.cur) : null);
    R.upload(mesh);
    drawNow();
    R.sync();
    api.stats = { renderMs: performance.now() - t0, faces: mesh.faces, vertices: mesh.vertices, index: st.cur, dimmed: mesh.dimmed };
    $("empty").hidden = S[st.cur].count > 0;
  }

  function show(i, keepCamera) {
    if (i < 0 || i >= S.length) return;
    const prev = S[st.cur];
    st.cur = i; st.hover = null; $("hover").hidden = true;
    const rec = S[i];
    if (!keepCamera || !prev || String(prev.size) !== String(rec.size)) cam.reset(rec.size, frame(i));
    const sl = $("slice");
    sl.max = rec.size[1] - 1;
    if (st.sliceY > rec.size[1] - 1 || !st.sliceOn) st.sliceY = Math.max(0, Math.floor(rec.size[1] / 2));
    sl.value = st.sliceY;
    sliceLabel();
    $("given-toggle").hidden = !rec.given;
    rebuild();
    info(rec);
    for (const el of document.querySelectorAll(".thumb[data-i]")) el.classList.toggle("sel", +el.dataset.i === i);
  }

  // --- pointer: orbit / pan / zoom / hover ----------------------------------------------------
  let drag = null;
  canvas.addEventListener("contextmenu", (e) => e.preventDefault());
  canvas.addEventListener("pointerdown", (e) => {
    drag = { x: e.clientX, y: e.clientY, pan: e.button !== 0 || e.shiftKey };
    canvas.setPointerCapture(e.pointerId); canvas.classList.add("dragging");
  });
  canvas.addEventListener("pointerup", (e) => { drag = null; canvas.releasePointerCapture(e.pointerId); canvas.classList.remove("dragging"); });
  canvas.addEventListener("pointermove", (e) => {
    if (drag) {
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      drag.x = e.clientX; drag.y = e.clientY;
      if (drag.pan) cam.pan(dx, dy, canvas.clientHeight); else cam.orbit(dx, dy);
      redraw();
      return;
    }
    hoverAt(e);
  });
  canvas.addEventListener("pointerleave", () => { if (st.hover) { st.hover = null; redraw(); } $("hover").hidden = true; });
  canvas.addEventListener("wheel", (e) => { e.preventDefault(); cam.zoom(Math.exp(e.deltaY * 0.0012)); redraw(); }, { passive: false });
  canvas.addEventListener("dblclick", () => { cam.reset(S[st.cur].size, frame(st.cur)); redraw(); });
  $("reset").addEventListener("click", () => { if (st.cur >= 0) { cam.reset(S[st.cur].size, frame(st.cur)); redraw(); } });
  new ResizeObserver(() => redraw()).observe(canvas);

  function hoverAt(e) {
    if (st.cur < 0) return;
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    const rec = S[st.cur], hit = MC.pick(rec.size, vox(st.cur), cutY(), cam.ray(x, y, r.width, r.height));
    const same = (a, b) => a && b && a.x === b.x && a.y === b.y && a.z === b.z;
    if (!same(hit, st.hover)) { st.hover = hit; redraw(); }
    const tip = $("hover");
    if (!hit) { tip.hidden = true; return; }
    const [X, , Z] = rec.size, state = rec.palette[vox(st.cur)[(hit.y * Z + hit.z) * X + hit.x]];
    const br = state.indexOf("[");
    tip.textContent = "";
    el("div", "state", br < 0 ? state : state.slice(0, br), tip);
    if (br >= 0) el("div", "props", state.slice(br + 1, -1).split(",").join("  "), tip);
    el("div", "xyz", `x ${hit.x}  y ${hit.y}  z ${hit.z}`, tip);
    const given = givenOf(st.cur);
    if (given) el("div", "origin", given[(hit.y * Z + hit.z) * X + hit.x] ? "given" : "generated", tip);
    tip.hidden = false;
    const left = Math.min(x + 16, r.width - tip.offsetWidth - 6);
    tip.style.left = left + "px"; tip.style.top = Math.min(y + 16, r.height - tip.offsetHeight - 6) + "px";
  }

  const el = MC.el;  // a new element (class, text, parent), from gl.js

  // --- y-slice --------------------------------------------------------------------------------
  function sliceLabel() { $("slice-label").textContent = st.sliceOn ? `y ≤ ${st.sliceY}` : ""; }
  $("slice-on").addEventListener("change", (e) => {
    st.sliceOn = e.target.checked; $("slice").disabled = !st.sliceOn; sliceLabel(); rebuild();
  });
  $("slice").addEventListener("input", (e) => { st.sliceY = +e.target.value; sliceLabel(); rebuild(); });

  // --- given / generated ----------------------------------------------------------------------
  function markGenerated(on) { st.markGen = !!on; $("given-on").checked = st.markGen; rebuild(); }
  $("given-on").addEventListener("change", (e) => markGenerated(e.target.checked));

  // --- details panel --------------------------------------------------------------------------
  function info(rec) {
    const label = rec.meta && rec.meta.label;
    $("cap-name").textContent = rec.name + (label ? ` · ${label}` : "");
    $("cap-sub").textContent = `${rec.size.join(" × ")} · ${rec.count} blocks · ${rec.palette.length - 1} block states`;
    const t = $("meta");
    t.textContent = "";
    const row = (k, v) => { const tr = el("tr", null, null, t); el("td", null, k, tr); el("td", null, v, tr); };
    row("name", rec.name);
    row("size", rec.size.join(" × "));
    row("blocks", String(rec.count));
    if (rec.given) row("given / generated", `${rec.given_count} / ${rec.generated_count} blocks`);
    for (const [k, v] of Object.entries(rec.meta || {})) row(k, typeof v === "object" ? JSON.stringify(v) : String(v));
    const counts = new Map(), v = vox(st.cur);
    for (let i = 0; i < v.length; i++) if (v[i]) counts.set(v[i], (counts.get(v[i]) || 0) + 1);
    const box = $("blocks");
    box.textContent = "";
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    for (const [id, n] of top.slice(0, 14)) {
      const d = el("div", "blk", null, box), sw = el("span", "sw", null, d);
      sw.style.background = rec.colors[id];
      el("span", "nm", rec.palette[id].replace("minecraft:", ""), d).title = rec.palette[id];
      el("span", "ct", String(n), d);
    }
    if (top.length > 14) el("div", "muted", `… and ${top.length - 14} more states`, box);
  }

  // --- thumbnails (one off-screen WebGL canvas, copied into 2-D canvases) ---------------------
  const TH = 144, thumbCache = new Map(), queue = [];
  let TR = null;
  function thumbRenderer() {
    if (!TR) {
      const c = document.createElement("canvas"); c.width = TH; c.height = TH;
      TR = new MC.Renderer(c, { preserveDrawingBuffer: true });
    }
    return TR;
  }
  function card(i, host, cap, sub, onClick) {
    const d = el("div", "thumb", null, host);
    d.dataset.i = i;
    const c = el("canvas", null, null, d);
    c.width = TH; c.height = TH;
    el("div", "cap", cap, d).title = cap;
    if (sub) el("div", "sub", sub, d);
    d.addEventListener("click", onClick);
    queue.push([i, c]);
    pump();
    return d;
  }
  let pumping = false;
  function pump() {
    if (pumping || !R) return;
    pumping = true;
    setTimeout(function work() {
      const t0 = performance.now();
      while (queue.length && performance.now() - t0 < 25) {
        const [i, c] = queue.shift();
        if (!c.isConnected) continue;
        c.getContext("2d").drawImage(thumbImage(i), 0, 0);
      }
      if (queue.length) setTimeout(work, 0); else pumping = false;
    }, 0);
  }
  function thumbImage(i) {
    if (thumbCache.has(i)) return thumbCache.get(i);
    const tr = thumbRenderer(), tcam = new MC.Camera();
    tcam.reset(S[i].size, frame(i));
    tr.upload(MC.buildMesh(S[i], vox(i), 1 << 20, false));
    tr.draw(tcam.matrix(1));
    const img = document.createElement("canvas");
    img.width = TH; img.height = TH;
    img.getContext("2d").drawImage(tr.canvas, 0, 0);
    thumbCache.set(i, img);
    return img;
  }

  // --- training: step slider, loss chart, filmstrip -------------------------------------------
  let chart = null;
  function setStep(k, keepCamera = true) {
    if (!T || !T.steps.length) return;
    st.step = Math.max(0, Math.min(T.steps.length - 1, k));
    $("step").value = st.step;
    $("step-label").textContent = `step ${T.steps[st.step]}`;
    const row = T.samples[st.step];
    st.slot = Math.min(st.slot, row.length - 1);
    const host = $("thumbs");
    host.textContent = "";
    $("thumbs-title").textContent = `Samples at step ${T.steps[st.step]}`;
    row.forEach((i, slot) => card(i, host, `sample ${S[i].sample ?? slot}`, S[i].meta && S[i].meta.label, () => {
      st.slot = slot; show(i, false); strip();
    }));
    if (chart) chart.mark(T.steps[st.step]);
    show(row[st.slot], keepCamera);
    for (const elx of document.querySelectorAll("#strip .thumb")) elx.classList.toggle("cur", +elx.dataset.k === st.step);
  }
  function strip() {
    const host = $("strip");
    host.textContent = "";
    $("strip-box").hidden = T.steps.length < 2;
    $("strip-title").textContent = `Sample ${st.slot} through training`;
    T.samples.forEach((row, k) => {
      const i = row[Math.min(st.slot, row.length - 1)];
      const d = card(i, host, `step ${T.steps[k]}`, null, () => setStep(k));
      d.dataset.k = k;
    });
    for (const x of host.querySelectorAll(".thumb")) x.classList.toggle("sel", +x.dataset.i === st.cur);
  }
  function play() {
    if (st.playing) { clearInterval(st.playing); st.playing = null; $("play").innerHTML = "&#9654;"; return; }
    $("play").innerHTML = "&#10074;&#10074;";
    if (st.step >= T.steps.length - 1) setStep(0);
    st.playing = setInterval(() => {
      if (st.step >= T.steps.length - 1) { play(); return; }
      setStep(st.step + 1);
    }, 700);
  }
  function initTraining() {
    $("training").hidden = false;
    const sl = $("step");
    sl.max = Math.max(0, T.steps.length - 1);
    sl.addEventListener("input", () => setStep(+sl.value));
    $("play").addEventListener("click", play);
    $("play").disabled = T.steps.length < 2;
    chart = new MC.LossChart($("chart"), T.metrics, T.steps, (k) => setStep(k));
    const ev = T.metrics.eval;
    if (ev && ev.length) {
      const last = ev[ev.length - 1];
      $("evals").textContent = `eval at step ${last.step}: ` +
        Object.entries(last).filter(([k]) => k !== "step").map(([k, v]) => `${k} ${MC.fmt(v)}`).join(" · ");
    }
    if (!T.steps.length) { $("thumbs-title").textContent = "No inference samples yet"; $("empty").hidden = false; $("empty").textContent = "no inference samples yet"; return; }
    strip();
    setStep(T.steps.length - 1, false);
  }

  // --- page -----------------------------------------------------------------------------------
  function header() {
    $("title").textContent = data.title;
    $("kind").textContent = { structure: "structure", samples: "samples", dataset: "dataset", training: "training run" }[data.kind] || data.kind;
    let sub = data.source;
    if (T) sub += ` · ${T.steps.length} sample steps · ${T.metrics.step.length} logged steps`;
    else sub += ` · ${S.length} structure${S.length === 1 ? "" : "s"}`;
    if (data.dataset && data.dataset.labels) sub += " · " + Object.entries(data.dataset.labels).map(([k, v]) => `${k} ${v}`).join(", ");
    $("subtitle").textContent = sub;
    $("notes").textContent = (data.notes || []).join(" · ");
  }
  function initList() {
    const host = $("thumbs");
    $("thumbs-title").textContent = `${data.kind === "dataset" ? "Samples" : "Structures"} (${S.length})`;
    S.forEach((rec, i) => card(i, host, rec.name, rec.meta && rec.meta.label, () => show(i, false)));
    if (S.length < 2) $("thumbs-box").hidden = true;
    show(0, false);
  }
  window.addEventListener("keydown", (e) => {
    if (e.target && e.target.tagName === "INPUT") return;
    const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!d) return;
    if (T && T.steps.length) setStep(st.step + d); else show(Math.max(0, Math.min(S.length - 1, st.cur + d)), false);
  });

  api.show = (i) => show(i, false);
  api.setStep = (k) => setStep(k);
  api.state = () => ({ cur: st.cur, step: st.step, slot: st.slot, sliceOn: st.sliceOn, sliceY: st.sliceY, markGen: st.markGen });
  api.markGenerated = (on) => markGenerated(on);
  // Time to build the buffer and draw structure i once (ms), measured in the page.
  api.timeRender = (i) => { show(i, false); return api.stats.renderMs; };
  api.thumbsPending = () => queue.length;
  // Non-air cells of structure i as the page decoded them (tests compare with the file).
  api.decodedCount = (i) => vox(i).reduce((n, v) => n + (v !== 0), 0);

  header();
  if (T) initTraining(); else initList();
  api.ready = true;
})();
