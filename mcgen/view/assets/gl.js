"use strict";
// mcgen viewer: voxel decoding, face meshing, a tiny WebGL renderer, camera maths and ray picking.
// Grid cells are read from a flat array in (y, z, x) order: flat[(y * Z + z) * X + x].
const MC = {};

MC.decode = function (rec) {
  const [X, Y, Z] = rec.size, n = X * Y * Z;
  const bin = atob(rec.data), raw = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) raw[i] = bin.charCodeAt(i);
  if (rec.enc === "raw8") return raw;
  if (rec.enc === "raw16") return new Uint16Array(raw.buffer, 0, n);
  const out = new Uint16Array(n);
  let pos = 0, val = -1, cur = 0, shift = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    cur += (b & 0x7f) * Math.pow(2, shift);
    if (b & 0x80) { shift += 7; continue; }
    if (val < 0) { val = cur; } else { out.fill(val, pos, pos + cur); pos += cur; val = -1; }
    cur = 0; shift = 0;
  }
  if (pos !== n) throw new Error("structure " + rec.name + ": decoded " + pos + " cells, expected " + n);
  return out;
};

// The given-cells mask of a structure (rec.given: run lengths in (y, z, x) order, alternating
// generated / given, generated first) as one byte per cell; null when the structure has none.
MC.decodeGiven = function (rec) {
  if (!rec.given) return null;
  const [X, Y, Z] = rec.size, n = X * Y * Z, out = new Uint8Array(n);
  let pos = 0;
  for (let k = 0; k < rec.given.length; k++) {
    if (k & 1) out.fill(1, pos, pos + rec.given[k]);
    pos += rec.given[k];
  }
  if (pos !== n) throw new Error("structure " + rec.name + ": given mask covers " + pos + " cells, expected " + n);
  return out;
};

// Colour of a given block while generated ones are marked: greyed and darkened, so that the
// generated blocks (drawn as always) stand out.
MC.dimmed = function (rgb) {
  const grey = 0.3 * rgb[0] + 0.59 * rgb[1] + 0.11 * rgb[2];
  for (let k = 0; k < 3; k++) rgb[k] = (0.3 * rgb[k] + 0.7 * grey) * 0.5 + 30;
  return rgb;
};

// Bounding box [lo, hi] of the solid cells (cell corners), or null when all air.
MC.bounds = function (rec, vox) {
  const [X, Y, Z] = rec.size, lo = [X, Y, Z], hi = [0, 0, 0];
  let any = false;
  for (let y = 0; y < Y; y++) for (let z = 0; z < Z; z++) for (let x = 0; x < X; x++) {
    if (vox[(y * Z + z) * X + x] === 0) continue;
    any = true;
    if (x < lo[0]) lo[0] = x; if (y < lo[1]) lo[1] = y; if (z < lo[2]) lo[2] = z;
    if (x + 1 > hi[0]) hi[0] = x + 1; if (y + 1 > hi[1]) hi[1] = y + 1; if (z + 1 > hi[2]) hi[2] = z + 1;
  }
  return any ? [lo, hi] : null;
};

// The box to frame: the solid blocks, but never less than a quarter of the grid on an axis (so
// that a few stray blocks of an early training sample are not blown up to fill the view).
// A new element with an optional class, text and parent (both pages build their DOM with it).
MC.el = function (tag, cls, text, parent) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text != null) n.textContent = text;
  if (parent) parent.appendChild(n);
  return n;
};

MC.frame = function (rec, vox) {
  const b = MC.bounds(rec, vox), [X, Y, Z] = rec.size;
  if (!b) return null;
  const min = [X / 4, Y / 4, Z / 4];
  for (let k = 0; k < 3; k++) {
    const c = (b[0][k] + b[1][k]) / 2, half = Math.max(min[k], b[1][k] - b[0][k]) / 2;
    b[0][k] = k === 1 ? Math.max(0, Math.min(b[0][k], c - half)) : c - half;
    b[1][k] = Math.max(b[1][k], b[0][k] + 2 * half);
  }
  return b;
};

MC.hexRGB = function (hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
};

// One face per direction: normal axis a with sign s; tangent axes b, c.
const FACES = [[0, 1], [0, -1], [1, 1], [1, -1], [2, 1], [2, -1]].map(([a, s]) => {
  const b = (a + 1) % 3, c = (a + 2) % 3;
  const n = [0, 0, 0]; n[a] = s;
  // Quad corners (i, j) along (b, c); order chosen so that the winding faces outwards.
  let order = [[0, 0], [1, 0], [1, 1], [0, 1]];
  const e1 = [0, 0, 0], e2 = [0, 0, 0]; e1[b] = 1; e2[c] = 1;
  const cross = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
  if (cross[a] * s < 0) order = [[0, 0], [0, 1], [1, 1], [1, 0]];
  return { a, b, c, s, n, order };
});

// Build the vertex buffers for one structure: full cubes emit only faces between a solid and an
// empty cell; blocks with a shape (slabs, panes, ...) emit their boxes; see-through blocks
// (glass, water) go to a second buffer drawn blended after the opaque one.
// `given` (optional, MC.decodeGiven): draw given blocks dimmed so the generated ones stand out.
// Vertex (20 bytes): float32 x, y, z | uint8 r, g, b, ao | uint8 nx+1, ny+1, nz+1, corner.
MC.buildMesh = function (rec, vox, cutY, withGround, given) {
  const [X, Y, Z] = rec.size, top = Math.min(Y - 1, cutY), shapes = rec.shapes || [], alpha = rec.alpha || [];
  const cols = rec.colors.map(MC.hexRGB);
  const at = (x, y, z) => (x < 0 || y < 0 || z < 0 || x >= X || y > top || z >= Z ? 0 : vox[(y * Z + z) * X + x]);
  const clear = (id) => alpha[id] !== undefined && alpha[id] < 1;
  const solid = (x, y, z) => { const id = at(x, y, z); return id !== 0 && !shapes[id] && !clear(id); };
  let faces = 0, tfaces = 0;
  for (let y = 0; y <= top; y++) for (let z = 0; z < Z; z++) for (let x = 0; x < X; x++) {
    const id = vox[(y * Z + z) * X + x];
    if (id === 0) continue;
    const n = shapes[id] ? 6 * shapes[id].length : clear(id) ? 6
      : !solid(x + 1, y, z) + !solid(x - 1, y, z) + !solid(x, y + 1, z) + !solid(x, y - 1, z) + !solid(x, y, z + 1) + !solid(x, y, z - 1);
    if (clear(id)) tfaces += n; else faces += n;
  }
  const ground = withGround ? MC.groundTiles(rec.size) : 0;
  const m = new MC.MeshWriter((faces + ground) * 6), t = new MC.MeshWriter(tfaces * 6);
  const tint = [0, 0, 0];
  let dimmed = 0;
  for (let y = 0; y <= top; y++) for (let z = 0; z < Z; z++) for (let x = 0; x < X; x++) {
    const id = vox[(y * Z + z) * X + x];
    if (id === 0) continue;
    const base = cols[id] || [255, 0, 255], w = clear(id) ? t : m;
    // A small stable brightness jitter per block gives surfaces some texture.
    const h = ((x * 73856093) ^ (y * 19349663) ^ (z * 83492791)) >>> 0;
    const j = 0.93 + 0.07 * ((h % 1000) / 1000);
    for (let k = 0; k < 3; k++) tint[k] = Math.min(255, base[k] * j);
    if (given && given[(y * Z + z) * X + x]) { MC.dimmed(tint); dimmed++; }
    // See-through cubes also hide the faces between two blocks of the same kind.
    const hides = clear(id) ? (a, b, c) => solid(a, b, c) || at(a, b, c) === id : solid;
    if (shapes[id]) MC.shapeFaces(w, x, y, z, shapes[id], tint, solid);
    else MC.cubeFaces(w, x, y, z, tint, solid, hides);
  }
  if (withGround) MC.groundQuads(rec, solid, m);
  return { buffer: m.buf, vertices: m.v, tbuffer: t.buf, tvertices: t.v, faces: (m.v + t.v) / 6 - ground, dimmed };
};

MC.MeshWriter = class {
  constructor(maxVertices) {
    this.buf = new ArrayBuffer(maxVertices * 20);
    this.f32 = new Float32Array(this.buf); this.u8 = new Uint8Array(this.buf); this.v = 0;
    this.pos = [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]; this.ao = [0, 0, 0, 0]; this.corner = [0, 0, 0, 0];
  }

  // Emit the quad in pos/ao/corner as two triangles, split along the diagonal with the
  // brighter pair so AO gradients do not crease.
  quad(rgb, nrm) {
    const ao = this.ao, tri = ao[0] + ao[2] >= ao[1] + ao[3] ? [0, 1, 2, 0, 2, 3] : [1, 2, 3, 1, 3, 0];
    for (const k of tri) {
      const o = this.v * 5, ob = this.v * 20, p = this.pos[k], u8 = this.u8;
      this.f32[o] = p[0]; this.f32[o + 1] = p[1]; this.f32[o + 2] = p[2];
      u8[ob + 12] = rgb[0]; u8[ob + 13] = rgb[1]; u8[ob + 14] = rgb[2]; u8[ob + 15] = ao[k];
      u8[ob + 16] = nrm[0] + 1; u8[ob + 17] = nrm[1] + 1; u8[ob + 18] = nrm[2] + 1; u8[ob + 19] = this.corner[k];
      this.v++;
    }
  }
};

MC.cubeFaces = function (m, x, y, z, rgb, solid, hides) {
  const p = [0, 0, 0];
  for (const F of FACES) {
    p[0] = x; p[1] = y; p[2] = z; p[F.a] += F.s;
    if (hides(p[0], p[1], p[2])) continue;
    for (let k = 0; k < 4; k++) {
      const [i, j] = F.order[k], q = m.pos[k];
      q[0] = x; q[1] = y; q[2] = z;
      q[F.a] += F.s > 0 ? 1 : 0; q[F.b] += i; q[F.c] += j;
      // Ambient occlusion from the three cells around this corner in the layer in front.
      const db = i ? 1 : -1, dc = j ? 1 : -1;
      p[0] = x; p[1] = y; p[2] = z; p[F.a] += F.s;
      p[F.b] += db; const s1 = solid(p[0], p[1], p[2]); p[F.b] -= db;
      p[F.c] += dc; const s2 = solid(p[0], p[1], p[2]);
      p[F.b] += db; const cc = solid(p[0], p[1], p[2]);
      m.ao[k] = (s1 && s2 ? 0 : 3 - s1 - s2 - cc) * 85;
      m.corner[k] = i + 2 * j;
    }
    m.quad(rgb, F.n);
  }
};

// Boxes in sixteenths; a box face lying on the cell boundary is hidden by a solid neighbour.
MC.shapeFaces = function (m, x, y, z, boxes, rgb, solid) {
  const cell = [x, y, z], p = [0, 0, 0];
  for (const b of boxes) {
    const lo = [b[0] / 16, b[1] / 16, b[2] / 16], hi = [b[3] / 16, b[4] / 16, b[5] / 16];
    for (const F of FACES) {
      const edge = F.s > 0 ? hi[F.a] === 1 : lo[F.a] === 0;
      p[0] = x; p[1] = y; p[2] = z; p[F.a] += F.s;
      if (edge && solid(p[0], p[1], p[2])) continue;
      for (let k = 0; k < 4; k++) {
        const [i, j] = F.order[k], q = m.pos[k];
        q[F.a] = cell[F.a] + (F.s > 0 ? hi[F.a] : lo[F.a]);
        q[F.b] = cell[F.b] + (i ? hi[F.b] : lo[F.b]);
        q[F.c] = cell[F.c] + (j ? hi[F.c] : lo[F.c]);
        m.ao[k] = 255; m.corner[k] = i + 2 * j;
      }
      m.quad(rgb, F.n);
    }
  }
};

// Ground tiles around the footprint, darkened where blocks stand on them. Large footprints get
// larger tiles so the floor does not shimmer.
MC.groundQuads = function (rec, solid, m) {
  const [X, , Z] = rec.size, up = [0, 1, 0], corners = [[0, 0], [0, 1], [1, 1], [1, 0]];
  const t = Math.max(1, Math.ceil(Math.max(X, Z) / 48)), nx = Math.ceil(X / t) + 4, nz = Math.ceil(Z / t) + 4;
  for (let tz = 0; tz < nz; tz++) for (let tx = 0; tx < nx; tx++) {
    const x = (tx - 2) * t, z = (tz - 2) * t, rgb = (tx + tz) & 1 ? [58, 64, 76] : [54, 60, 71];
    for (let k = 0; k < 4; k++) {
      const [i, j] = corners[k], cx = x + i * t, cz = z + j * t, q = m.pos[k];
      q[0] = cx; q[1] = -0.01; q[2] = cz;
      const n = t > 1 ? 0 : solid(cx - 1, 0, cz - 1) + solid(cx, 0, cz - 1) + solid(cx - 1, 0, cz) + solid(cx, 0, cz);
      m.ao[k] = Math.max(0, 255 - n * 60);
      m.corner[k] = i + 2 * j;
    }
    m.quad(rgb, up);
  }
};

MC.groundTiles = function (size) {
  const t = Math.max(1, Math.ceil(Math.max(size[0], size[2]) / 48));
  return (Math.ceil(size[0] / t) + 4) * (Math.ceil(size[2] / t) + 4);
};

const VERT = `
attribute vec3 aPos; attribute vec4 aCol; attribute vec4 aNrm;
uniform mat4 uMVP;
varying vec3 vCol; varying float vAO; varying vec3 vN; varying vec2 vUV; varying vec3 vPos;
void main() {
  vN = aNrm.xyz - 1.0; vCol = aCol.rgb; vAO = aCol.a; vPos = aPos;
  vUV = vec2(mod(aNrm.w, 2.0), floor(aNrm.w / 2.0));
  gl_Position = uMVP * vec4(aPos, 1.0);
}`;
const FRAG_HEAD = `#extension GL_OES_standard_derivatives : enable
#define HAS_DERIV 1
`;
const FRAG = `
precision mediump float;
uniform vec4 uHover;
uniform float uAlpha;
varying vec3 vCol; varying float vAO; varying vec3 vN; varying vec2 vUV; varying vec3 vPos;
void main() {
  vec3 n = normalize(vN);
  float key = max(dot(n, normalize(vec3(-0.35, 0.85, 0.55))), 0.0);
  float fill = max(dot(n, normalize(vec3(0.6, 0.3, -0.5))), 0.0);
  float light = 0.42 + 0.58 * key + 0.18 * fill;
  float ao = 0.45 + 0.55 * vAO;
  vec2 e2 = min(vUV, 1.0 - vUV);
  float depth = 0.28;
#ifdef HAS_DERIV
  // Fade the block outlines where a block covers only a few pixels (avoids moire far away).
  vec2 fw = fwidth(vUV);
  depth *= 1.0 - smoothstep(0.07, 0.2, max(fw.x, fw.y));
#endif
  float edge = 1.0 - depth * (1.0 - smoothstep(0.0, 0.06, min(e2.x, e2.y)));
  vec3 c = vCol * light * ao * edge;
  if (uHover.w > 0.5 && all(equal(floor(vPos - n * 0.5), uHover.xyz))) {
    c = mix(c, vec3(1.0, 0.95, 0.55), 0.45);
  }
  gl_FragColor = vec4(pow(c, vec3(0.95)), uAlpha);
}`;

MC.Renderer = class {
  constructor(canvas, opts) {
    this.canvas = canvas;
    const attrs = Object.assign({ antialias: true, alpha: true, premultipliedAlpha: true }, opts || {});
    const gl = canvas.getContext("webgl", attrs) || canvas.getContext("experimental-webgl", attrs);
    if (!gl) throw new Error("WebGL is not available in this browser");
    this.gl = gl;
    const prog = gl.createProgram();
    const frag = gl.getExtension("OES_standard_derivatives") ? FRAG_HEAD + FRAG : FRAG;
    for (const [type, src] of [[gl.VERTEX_SHADER, VERT], [gl.FRAGMENT_SHADER, frag]]) {
      const sh = gl.createShader(type);
      gl.shaderSource(sh, src); gl.compileShader(sh);
      if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new Error("shader: " + gl.getShaderInfoLog(sh));
      gl.attachShader(prog, sh);
    }
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error("program: " + gl.getProgramInfoLog(prog));
    this.prog = prog;
    this.loc = {
      pos: gl.getAttribLocation(prog, "aPos"), col: gl.getAttribLocation(prog, "aCol"),
      nrm: gl.getAttribLocation(prog, "aNrm"), mvp: gl.getUniformLocation(prog, "uMVP"),
      hover: gl.getUniformLocation(prog, "uHover"), alpha: gl.getUniformLocation(prog, "uAlpha"),
    };
    this.vbo = gl.createBuffer(); this.tvbo = gl.createBuffer();
    this.count = 0; this.tcount = 0;
    gl.enable(gl.DEPTH_TEST);
    gl.enable(gl.CULL_FACE);
  }

  upload(mesh) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.vbo);
    gl.bufferData(gl.ARRAY_BUFFER, new Uint8Array(mesh.buffer, 0, mesh.vertices * 20), gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.tvbo);
    gl.bufferData(gl.ARRAY_BUFFER, new Uint8Array(mesh.tbuffer, 0, mesh.tvertices * 20), gl.STATIC_DRAW);
    this.count = mesh.vertices; this.tcount = mesh.tvertices;
  }

  draw(mvp, hover) {
    const gl = this.gl, L = this.loc;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    if (!this.count && !this.tcount) return;
    gl.useProgram(this.prog);
    gl.uniformMatrix4fv(L.mvp, false, mvp);
    gl.uniform4fv(L.hover, hover || [0, 0, 0, 0]);
    this.pass(this.vbo, this.count, 1);
    if (this.tcount) {
      // Premultiplied output over a transparent canvas: colour and alpha blend separately.
      gl.enable(gl.BLEND); gl.depthMask(false); gl.disable(gl.CULL_FACE);
      gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
      this.pass(this.tvbo, this.tcount, 0.5);
      gl.disable(gl.BLEND); gl.depthMask(true); gl.enable(gl.CULL_FACE);
    }
  }

  pass(vbo, count, alpha) {
    if (!count) return;
    const gl = this.gl, L = this.loc;
    gl.bindBuffer(gl.ARRAY_BUFFER, vbo);
    gl.enableVertexAttribArray(L.pos); gl.vertexAttribPointer(L.pos, 3, gl.FLOAT, false, 20, 0);
    gl.enableVertexAttribArray(L.col); gl.vertexAttribPointer(L.col, 4, gl.UNSIGNED_BYTE, true, 20, 12);
    gl.enableVertexAttribArray(L.nrm); gl.vertexAttribPointer(L.nrm, 4, gl.UNSIGNED_BYTE, false, 20, 16);
    gl.uniform1f(L.alpha, alpha);
    gl.drawArrays(gl.TRIANGLES, 0, count);
  }

  // Block until the GPU (or SwiftShader) has finished: read one pixel back.
  sync() { const px = new Uint8Array(4); this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, px); }
};

// --- camera ---------------------------------------------------------------------------------
MC.Camera = class {
  constructor() { this.fov = 35 * Math.PI / 180; this.reset([16, 16, 16]); }

  // Frame the box lo..hi (cell corners; by default the whole grid of `size`).
  reset(size, box) {
    const [lo, hi] = box || [[0, 0, 0], size];
    const ext = [0, 1, 2].map((i) => Math.max(1, hi[i] - lo[i]));
    const r = Math.max(2, Math.hypot(ext[0], ext[1], ext[2]) * 0.5);
    this.target = [(lo[0] + hi[0]) / 2, lo[1] + ext[1] * 0.5, (lo[2] + hi[2]) / 2];
    this.yaw = -0.72; this.pitch = 0.5;
    this.dist = r / Math.sin(this.fov / 2) * 1.04;
  }

  basis() {
    const cp = Math.cos(this.pitch), sp = Math.sin(this.pitch), cy = Math.cos(this.yaw), sy = Math.sin(this.yaw);
    const back = [cp * sy, sp, cp * cy];  // from target to eye
    const right = [cy, 0, -sy];
    const up = [-sp * sy, cp, -sp * cy];
    const eye = [0, 1, 2].map((i) => this.target[i] + back[i] * this.dist);
    return { eye, right, up, fwd: back.map((b) => -b) };
  }

  matrix(aspect) {
    const { eye, right, up, fwd } = this.basis();
    const near = Math.max(0.05, this.dist * 0.02), far = this.dist * 4 + 200;
    const f = 1 / Math.tan(this.fov / 2);
    const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    // view (column-major) then projection; combined by hand to stay dependency-free.
    const V = [right[0], up[0], -fwd[0], 0, right[1], up[1], -fwd[1], 0, right[2], up[2], -fwd[2], 0,
      -dot(right, eye), -dot(up, eye), dot(fwd, eye), 1];
    const P = [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) / (near - far), -1, 0, 0, 2 * far * near / (near - far), 0];
    return MC.mul4(P, V);
  }

  orbit(dx, dy) {
    this.yaw -= dx * 0.008;
    this.pitch = Math.max(-1.45, Math.min(1.45, this.pitch + dy * 0.008));
  }

  pan(dx, dy, height) {
    const { right, up } = this.basis(), s = 2 * this.dist * Math.tan(this.fov / 2) / height;
    for (let i = 0; i < 3; i++) this.target[i] += (-dx * right[i] + dy * up[i]) * s;
  }

  zoom(factor) { this.dist = Math.max(2, Math.min(2000, this.dist * factor)); }

  // World-space ray through a pixel (x, y from the top-left, in CSS pixels).
  ray(x, y, w, h) {
    const { eye, right, up, fwd } = this.basis(), t = Math.tan(this.fov / 2);
    const nx = (2 * x / w - 1) * t * (w / h), ny = (1 - 2 * y / h) * t;
    const d = [0, 1, 2].map((i) => fwd[i] + right[i] * nx + up[i] * ny);
    const len = Math.hypot(d[0], d[1], d[2]);
    return { o: eye, d: d.map((c) => c / len) };
  }
};

MC.mul4 = function (a, b) {
  const o = new Float32Array(16);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
    o[c * 4 + r] = s;
  }
  return o;
};

// First solid cell hit by a ray (Amanatides-Woo grid walk); null when it misses.
MC.pick = function (size, vox, cutY, ray) {
  const [X, Y, Z] = size, top = Math.min(Y - 1, cutY), hi = [X, top + 1, Z];
  let t0 = 0, t1 = Infinity;
  for (let i = 0; i < 3; i++) {
    if (Math.abs(ray.d[i]) < 1e-12) { if (ray.o[i] < 0 || ray.o[i] > hi[i]) return null; continue; }
    let a = (0 - ray.o[i]) / ray.d[i], b = (hi[i] - ray.o[i]) / ray.d[i];
    if (a > b) [a, b] = [b, a];
    t0 = Math.max(t0, a); t1 = Math.min(t1, b);
  }
  if (t0 > t1) return null;
  const p = [0, 1, 2].map((i) => ray.o[i] + ray.d[i] * (t0 + 1e-6));
  const c = p.map((v, i) => Math.min(hi[i] - 1, Math.max(0, Math.floor(v))));
  const step = ray.d.map((d) => (d > 0 ? 1 : -1));
  const tMax = [0, 1, 2].map((i) => (Math.abs(ray.d[i]) < 1e-12 ? Infinity : ((c[i] + (step[i] > 0 ? 1 : 0)) - ray.o[i]) / ray.d[i]));
  const tDelta = ray.d.map((d) => (Math.abs(d) < 1e-12 ? Infinity : Math.abs(1 / d)));
  let face = -1;
  for (let n = 0; n < X + Y + Z + 3; n++) {
    if (vox[(c[1] * Z + c[2]) * X + c[0]] !== 0) {
      const normal = [0, 0, 0];
      if (face >= 0) normal[face] = -step[face];
      return { x: c[0], y: c[1], z: c[2], normal };
    }
    face = tMax[0] < tMax[1] ? (tMax[0] < tMax[2] ? 0 : 2) : (tMax[1] < tMax[2] ? 1 : 2);
    c[face] += step[face];
    if (c[face] < 0 || c[face] >= hi[face]) return null;
    tMax[face] += tDelta[face];
  }
  return null;
};
