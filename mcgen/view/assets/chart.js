// mcgen viewer: the loss curve (SVG), with a marker at the shown step and click-to-jump.
MC.LossChart = class {
  constructor(host, metrics, sampleSteps, onPick) {
    this.host = host; this.m = metrics; this.sampleSteps = sampleSteps; this.onPick = onPick;
    this.W = 440; this.H = 210; this.pad = { l: 48, r: 12, t: 22, b: 28 };
    this.build();
  }

  static svg(tag, attrs, parent) {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const k in attrs) el.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(el);
    return el;
  }

  build() {
    const S = MC.LossChart.svg, { W, H, pad } = this, steps = this.m.step, loss = this.m.loss;
    this.host.textContent = "";
    const root = S("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": "training loss" }, this.host);
    this.root = root;
    if (!steps.length) {
      S("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "muted" }, root).textContent = "no metrics.jsonl yet";
      return;
    }
    const lo = Math.min(...loss), hi = Math.max(...loss);
    this.log = lo > 0 && hi / lo > 20;
    const f = (v) => (this.log ? Math.log10(v) : v);
    const y0 = f(this.log ? lo : Math.min(0, lo)), y1 = f(hi) + (f(hi) - f(lo)) * 0.04 || 1;
    const s0 = Math.min(steps[0], this.sampleSteps[0] ?? steps[0]);
    const s1 = Math.max(steps[steps.length - 1], this.sampleSteps[this.sampleSteps.length - 1] ?? 0, s0 + 1);
    this.sx = (s) => pad.l + (s - s0) / (s1 - s0) * (W - pad.l - pad.r);
    this.sy = (v) => pad.t + (1 - (f(v) - y0) / (y1 - y0 || 1)) * (H - pad.t - pad.b);
    this.inv = (px) => s0 + (px - pad.l) / (W - pad.l - pad.r) * (s1 - s0);
    this.axes(root, s0, s1, y0, y1);
    const path = (vals) => vals.map((v, i) => `${i ? "L" : "M"}${this.sx(steps[i]).toFixed(1)},${this.sy(v).toFixed(1)}`).join("");
    S("path", { d: path(loss), class: "loss-raw" }, root);
    S("path", { d: path(this.smooth(loss)), class: "loss-ema" }, root);
    for (const s of this.sampleSteps) S("line", { x1: this.sx(s), x2: this.sx(s), y1: H - pad.b, y2: H - pad.b + 5, class: "tick-sample" }, root);
    this.marker = S("line", { y1: pad.t, y2: H - pad.b, class: "marker" }, root);
    this.label = S("text", { y: pad.t + 11, class: "marker-label" }, root);
    root.addEventListener("click", (e) => this.click(e));
  }

  axes(root, s0, s1, y0, y1) {
    const S = MC.LossChart.svg, { W, H, pad } = this;
    S("rect", { x: pad.l, y: pad.t, width: W - pad.l - pad.r, height: H - pad.t - pad.b, class: "plot" }, root);
    for (let i = 0; i <= 4; i++) {
      const fv = y0 + (y1 - y0) * i / 4, v = this.log ? Math.pow(10, fv) : fv, y = this.sy(v);
      S("line", { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: "grid" }, root);
      S("text", { x: pad.l - 5, y: y + 4, "text-anchor": "end", class: "axis" }, root).textContent = MC.fmt(v);
    }
    for (const s of MC.niceTicks(s0, s1, 6)) {
      S("text", { x: this.sx(s), y: H - 8, "text-anchor": "middle", class: "axis" }, root).textContent = String(s);
    }
    S("text", { x: pad.l, y: 12, class: "axis-title" }, root).textContent =
      "loss" + (this.log ? " (log scale)" : "") + " by step · thin: raw, thick: smoothed";
  }

  // Centred moving average (in log space on a log axis): follows fast early drops without lag.
  smooth(vals) {
    const f = this.log ? Math.log : (v) => v, g = this.log ? Math.exp : (v) => v;
    const w = Math.max(1, Math.round(vals.length / 60)), pre = [0];
    for (const v of vals) pre.push(pre[pre.length - 1] + f(v));
    return vals.map((_, i) => {
      const lo = Math.max(0, i - w), hi = Math.min(vals.length, i + w + 1);
      return g((pre[hi] - pre[lo]) / (hi - lo));
    });
  }

  // Put the marker at `step` and show the loss logged nearest to it.
  mark(step) {
    if (!this.marker || step == null) return;
    const x = this.sx(step), steps = this.m.step;
    this.marker.setAttribute("x1", x); this.marker.setAttribute("x2", x);
    let best = 0;
    for (let i = 0; i < steps.length; i++) if (Math.abs(steps[i] - step) < Math.abs(steps[best] - step)) best = i;
    this.label.textContent = `step ${step} · loss ${MC.fmt(this.m.loss[best])}`;
    const right = x > this.W * 0.6;
    this.label.setAttribute("x", right ? x - 6 : x + 6);
    this.label.setAttribute("text-anchor", right ? "end" : "start");
  }

  click(e) {
    if (!this.sampleSteps.length) return;
    const r = this.root.getBoundingClientRect(), px = (e.clientX - r.left) / r.width * this.W, s = this.inv(px);
    let best = 0;
    this.sampleSteps.forEach((v, i) => { if (Math.abs(v - s) < Math.abs(this.sampleSteps[best] - s)) best = i; });
    this.onPick(best);
  }
};

// About n round tick values (1, 2 or 5 times a power of ten) between a and b.
MC.niceTicks = function (a, b, n) {
  const raw = (b - a) / Math.max(1, n - 1), mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((k) => k >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(a / step) * step; v <= b + 1e-9; v += step) out.push(Math.round(v));
  return out;
};

MC.fmt = function (v) {
  if (v == null || !isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
};
