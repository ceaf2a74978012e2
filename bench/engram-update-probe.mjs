/**
 * How updates behave on the REAL Engram server (not the double): each step writes through
 * POST /api/v1/memories/remember, reads back with GET (content, confidence) and with the list endpoint
 * (embedding), and prints one JSON line. The findings are in src/live/adapters/engram-update.ts and the README.
 *
 *   ENGRAM_DATA_DIR=$(mktemp -d) engram -l warn start --port 18432 --grpc-port 18532 &
 *   ENGRAM_URL=http://127.0.0.1:18432 SPACE=probe_a node bench/engram-update-probe.mjs basic
 *   SPACE=probe_b node bench/engram-update-probe.mjs ladder 0.000001   # 30 small edits, +step each
 *   SPACE=probe_c node bench/engram-update-probe.mjs neighbour         # an edit that lands near another memory
 *   SPACE=probe_d node bench/engram-update-probe.mjs more              # first big edit, ceiling 1.0, cost
 * Use a fresh space per mode: the server's similarity cache remembers pairs of ids.
 */
const URL = process.env.ENGRAM_URL ?? 'http://127.0.0.1:18432';
const SPACE = process.env.SPACE ?? 'probe_a';
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
}
function normals(seed, n = 768) {
  const u = rng(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}
const cos = (a, b) => {
  let d = 0,
    x = 0,
    y = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    x += a[i] ** 2;
    y += b[i] ** 2;
  }
  return d / Math.sqrt(x * y);
};
const noisy = (base, seed, amt) => {
  const n = normals(seed);
  return base.map((v, i) => v + amt * n[i]);
};
async function remember(id, content, embedding, confidence) {
  const r = await fetch(`${URL}/api/v1/memories/remember`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, memory_space_id: SPACE, content, embedding, confidence, timestamp: new Date().toISOString() }),
  });
  const j = await r.json();
  return { status: r.status, id: j.memory_id };
}
async function get(id) {
  const r = await fetch(`${URL}/api/v1/memories/${id}?space=${SPACE}`);
  return r.status === 404 ? null : r.json();
}
async function emb(id) {
  const r = await fetch(`${URL}/api/v1/memories?limit=1000&include_embeddings=true&space=${SPACE}`);
  const j = await r.json();
  const m = j.memories.filter((x) => x.id === id);
  return { n: m.length, e: m.at(-1)?.embedding, hot: j.tier_counts?.hot };
}
const out = [];
async function step(label, id, content, e, conf, ref) {
  const w = await remember(id, content, e, conf);
  const g = await get(id);
  const em = await emb(id);
  const landed = g?.content === content;
  out.push({
    label,
    conf,
    sent: w.status,
    content: landed ? 'landed' : `kept "${g?.content}"`,
    storedConf: g?.confidence,
    embCosToSent: em.e ? +cos(em.e, e).toFixed(4) : null,
    cosToPrev: ref ? +cos(e, ref).toFixed(4) : null,
    hot: em.hot,
  });
  console.log(JSON.stringify(out.at(-1)));
  return landed;
}
const e0 = normals(1);
const mode = process.argv[2] ?? 'basic';
if (mode === 'basic') {
  await step('A create 0.5', 'u1', 'v0', e0, 0.5);
  const e1 = noisy(e0, 2, 0.1);
  await step('B small edit same conf', 'u1', 'v1', e1, 0.5, e0);
  await step('C small edit +0.1', 'u1', 'v1', e1, 0.6, e0);
  const e2 = noisy(e1, 3, 0.1);
  await step('D small edit +0.001', 'u1', 'v2', e2, 0.601, e1);
  const e3 = noisy(e2, 4, 0.1);
  await step('E small edit +0.0001', 'u1', 'v3', e3, 0.6011, e2);
  const e4 = noisy(e3, 5, 0.1);
  await step('F small edit +0.00001', 'u1', 'v4', e4, 0.60111, e3);
  await step('G content-only same embedding +0.001', 'u1', 'v4b', e4, 0.603, e4);
  const big = normals(99);
  await step('H big edit same conf', 'u1', 'v5', big, 0.603, e4);
  await step('I big edit lower conf', 'u1', 'v6', normals(100), 0.55, big);
}
if (mode === 'ladder') {
  // many small edits, each +step
  const stepSize = Number(process.argv[3] ?? 0.001);
  let e = e0,
    c = 0.5,
    landed = 0;
  await step('create', 'lad', 'x0', e, c);
  for (let i = 1; i <= 30; i++) {
    const n = noisy(e, 10 + i, 0.1);
    c = +(c + stepSize).toFixed(6);
    if (await step(`edit ${i}`, 'lad', `x${i}`, n, c, e)) landed++;
    e = n;
  }
  console.log('landed', landed, 'of 30');
}
if (mode === 'neighbour') {
  // another memory near the edited one: a small edit of A near B
  const b = noisy(e0, 7, 0.05);
  await step('create A', 'na', 'a0', normals(500), 0.5);
  await step('create B', 'nb', 'b0', b, 0.5);
  await step('A moves near B, conf 0.6', 'na', 'a1', noisy(b, 8, 0.05), 0.6);
  console.log('B now', await get('nb'));
}
if (mode === 'more') {
  await step('fresh create 0.6', 'f1', 'a0', normals(700), 0.6);
  await step('fresh big edit same conf (first update of id)', 'f1', 'a1', normals(701), 0.6);
  await step('resend exact stored conf, small edit', 'f1', 'a2', noisy(normals(701), 5, 0.1), 0.6);
  await step('ceiling create 1.0', 'c1', 'c0', normals(800), 1.0);
  await step('small edit at 1.0', 'c1', 'c1', noisy(normals(800), 9, 0.1), 1.0);
  const r = await fetch(`${URL}/api/v1/memories/remember`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'c1', memory_space_id: SPACE, content: 'c2', embedding: noisy(normals(800), 10, 0.1), confidence: 1.00001 }),
  });
  console.log('confidence 1.00001 →', r.status, (await r.text()).slice(0, 200), JSON.stringify(await get('c1')));
  // cost of one write vs get+write+get
  let t = performance.now();
  let c = 0.61;
  for (let i = 0; i < 50; i++) {
    c += 1e-4;
    await remember('t1', `t${i}`, normals(900 + i), c);
  }
  const post = (performance.now() - t) / 50;
  t = performance.now();
  for (let i = 0; i < 50; i++) {
    c += 1e-4;
    await get('t1');
    await remember('t1', `u${i}`, normals(1000 + i), c);
    await get('t1');
  }
  console.log(JSON.stringify({ postMs: +post.toFixed(2), getPostGetMs: +((performance.now() - t) / 50).toFixed(2) }));
}
