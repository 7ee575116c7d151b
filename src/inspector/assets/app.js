// The inspector page: the lifecycle chart laid out by dagre from the machine's own graph, the
// current state live over SSE, child actors, recoveries, step rate, the end, a filterable event
// log, and the replay of a flight recording (file picker, time slider). No network but its origin.
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  const MAX_LOG = 5000;
  const SHOWN_LOG = 200;

  let meta = null;
  let layout = null;
  let st = fresh();
  let live = { records: [], summary: null };
  let replay = null; // { meta, records, pos, timer }
  let dirty = false;

  function fresh() {
    return { state: '', status: '', value: null, context: null, lastRootSeq: 0, actors: new Map(), recoveries: new Map(),
      steps: [], end: null, log: [], visited: new Set(), taken: new Set() };
  }

  // ---- reducing records into the page's state (idempotent by seq) ----
  function apply(s, r) {
    s.log.push(r);
    if (s.log.length > MAX_LOG) s.log.splice(0, s.log.length - MAX_LOG);
    if (r.type === 'step') { s.steps.push(r); if (s.steps.length > 50) s.steps.shift(); return; }
    if (r.type === 'end') { s.end = r; return; }
    if (r.kind === 'root') {
      if (r.type === '@xstate.snapshot' && r.seq > s.lastRootSeq) {
        if (s.state && r.state && s.state !== r.state) s.taken.add(s.state + '\u0000' + r.state);
        s.lastRootSeq = r.seq; s.state = r.state; s.status = r.status; s.value = r.value; s.context = r.context;
        if (r.state) s.visited.add(r.state);
      }
      if (r.recovery) s.recoveries.set(r.recovery.seq, r.recovery);
      return;
    }
    if (!r.sessionId) return;
    if (r.type === '@xstate.actor') {
      s.actors.set(r.sessionId, { actor: r.actor, kind: r.kind, where: r.where || '', status: 'active', seq: r.seq });
      if (s.actors.size > 300) s.actors.delete(s.actors.keys().next().value);
    } else if (r.type === '@xstate.snapshot' && s.actors.has(r.sessionId)) {
      s.actors.get(r.sessionId).status = r.status;
    }
  }

  function applySummary(s, sum) {
    if (!sum) return;
    for (const a of sum.actors) s.actors.set(a.sessionId, { actor: a.actor, kind: a.kind, where: a.where || '', status: a.status, seq: a.seq });
    for (const r of sum.recoveries) s.recoveries.set(r.seq, r);
    s.steps.push(...sum.steps);
    if (sum.end) s.end = sum.end;
    if (sum.root) {
      apply(s, sum.root);
      s.log.pop();
    }
  }

  // ---- chart ----
  function leafOf(graph, id) {
    const kids = graph.nodes.filter((n) => n.parent === id);
    if (kids.length === 0) return id;
    const first = kids.find((n) => n.initial) || kids[0];
    return leafOf(graph, first.id);
  }

  function buildLayout(graph) {
    const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
    g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 46, edgesep: 14, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(() => ({}));
    const compound = new Set(graph.nodes.filter((n) => graph.nodes.some((m) => m.parent === n.id)).map((n) => n.id));
    for (const n of graph.nodes) {
      if (compound.has(n.id)) { g.setNode(n.id, { label: n.key, clusterLabelPos: 'top', paddingTop: 18 }); continue; }
      const sub = n.invokes.join(', ');
      const width = Math.max(n.key.length * 7.4, sub.length * 5.8) + 24;
      g.setNode(n.id, { label: n.key, width, height: sub ? 40 : 28 });
    }
    for (const n of graph.nodes) if (n.parent) g.setParent(n.id, n.parent);
    graph.edges.forEach((e, i) => {
      const from = compound.has(e.from) ? leafOf(graph, e.from) : e.from;
      const to = compound.has(e.to) ? leafOf(graph, e.to) : e.to;
      const lines = e.events;
      const width = Math.max(...lines.map((l) => l.length)) * 5.4 + 6;
      g.setEdge(from, to, { label: lines.join('\n'), lines, width, height: lines.length * 12 + 2, labelpos: 'c', key: e.from + '\u0000' + e.to }, 'e' + i);
    });
    dagre.layout(g);
    return { g, compound };
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function drawChart() {
    const svg = $('#chart');
    svg.replaceChildren();
    if (!layout) return;
    const { g, compound } = layout;
    const graphNodes = new Map(meta.chart.nodes.map((n) => [n.id, n]));
    const info = g.graph();
    svg.setAttribute('viewBox', `0 0 ${info.width} ${info.height}`);
    const defs = el('defs', {}, svg);
    const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z' }, marker);
    const current = st.state;
    const ancestors = new Set();
    for (let p = current; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') ancestors.add(p);
    for (const id of compound) {
      const n = g.node(id);
      const grp = el('g', { class: 'cluster' + (ancestors.has(id) ? ' active' : '') }, svg);
      el('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 8 }, grp);
      el('text', { x: n.x - n.width / 2 + 8, y: n.y - n.height / 2 + 13, class: 'cluster-label' }, grp).textContent = n.label;
    }
    for (const e of g.edges()) {
      const d = g.edge(e);
      const taken = st.taken.has(d.key);
      const grp = el('g', { class: 'edge' + (taken ? ' taken' : '') }, svg);
      const pts = d.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`);
      el('path', { d: 'M' + pts.join(' L'), 'marker-end': 'url(#arrow)' }, grp);
      const text = el('text', { x: d.x, y: d.y - (d.lines.length - 1) * 6, 'text-anchor': 'middle' }, grp);
      d.lines.forEach((line, i) => { el('tspan', { x: d.x, dy: i === 0 ? 3 : 12 }, text).textContent = line; });
    }
    for (const id of g.nodes()) {
      if (compound.has(id)) continue;
      const n = g.node(id);
      const def = graphNodes.get(id);
      const isCurrent = id === current;
      const cls = ['node', def.type === 'final' ? 'final' : '', st.visited.has(id) ? 'visited' : '', isCurrent ? 'current' : '',
        isCurrent && /failed|detach/.test(id) ? 'bad' : '', isCurrent && /recover|creat|initial|restor/.test(id) ? 'busy' : ''];
      const grp = el('g', { class: cls.filter(Boolean).join(' '), 'data-state': id }, svg);
      el('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 6 }, grp);
      const sub = def.invokes.join(', ');
      el('text', { x: n.x, y: n.y + (sub ? -3 : 4), 'text-anchor': 'middle' }, grp).textContent = def.key;
      if (sub) el('text', { x: n.x, y: n.y + 12, 'text-anchor': 'middle', class: 'invoke' }, grp).textContent = '⟳ ' + sub;
    }
  }

  // ---- panels ----
  const t0 = () => (replay ? replay.meta.startedAt : meta ? meta.startedAt : 0);
  const secs = (t) => ((t - t0()) / 1000).toFixed(2) + 's';
  const errText = (e) => (e ? `${e.name}: ${e.message}` : '–');

  function rate(steps) {
    if (steps.length < 2) return null;
    const a = steps[Math.max(0, steps.length - 6)], b = steps[steps.length - 1];
    return b.t > a.t ? ((b.step - a.step) * 1000) / (b.t - a.t) : null;
  }

  function detail(r) {
    if (r.type === '@xstate.snapshot') return (r.state ? r.state + ' ' : '') + `[${r.status}] ← ${r.event ? r.event.type : ''}` + (r.error ? ' ' + errText(r.error) : '');
    if (r.type === '@xstate.event') {
      const err = r.event && r.event.error && r.event.error.message ? ' ' + errText(r.event.error) : '';
      return `${r.event.type}${r.source ? ' from ' + r.source : ''}${err}`;
    }
    if (r.type === '@xstate.actor') return `started${r.where ? ' in ' + r.where : ''}`;
    if (r.type === '@xstate.microstep') return (r.transitions || []).join('; ');
    if (r.type === '@xstate.action') return r.action;
    if (r.type === 'step') return 'global step ' + r.step;
    if (r.type === 'end') return 'ended: ' + r.reason + (r.error ? ' ' + errText(r.error) : '');
    return '';
  }

  function rows(tbody, items, cells) {
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const tr = document.createElement('tr');
      for (const [text, cls] of cells(item)) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
  }

  function render() {
    dirty = false;
    const c = st.context;
    document.body.dataset.state = st.state;
    $('#state').textContent = st.state || '…';
    const last = st.steps[st.steps.length - 1];
    $('#step').textContent = last ? String(last.step) : '–';
    const r = rate(st.steps);
    $('#rate').textContent = r === null ? '–' : r.toFixed(r < 10 ? 1 : 0);
    $('#sessions').textContent = c ? String(c.sessionsCreated) : '0';
    $('#recovery-count').textContent = c ? String(c.recoveries) : String(st.recoveries.size);
    $('#end').textContent = st.end ? st.end.reason : st.status === 'done' ? st.state : '–';
    $('#last-error').textContent = c && c.lastError ? errText(c.lastError) : st.end && st.end.error ? errText(st.end.error) : '–';
    const actors = [...st.actors.values()].reverse();
    rows($('#actors tbody'), actors, (a) => [[a.actor], [a.kind], [a.where], [a.status, 'status-' + a.status]]);
    const recs = [...st.recoveries.values()].sort((a, b) => b.seq - a.seq);
    rows($('#recoveries tbody'), recs, (x) => [[String(recs.length - recs.indexOf(x))], [secs(x.t)], [`${x.error}: ${x.message}`], [x.source], [String(x.attemptNumber)], [x.delayMs + ' ms']]);
    renderLog();
    drawChart();
  }

  function renderLog() {
    const types = new Set([...document.querySelectorAll('.filters input[type=checkbox]:checked')].map((i) => i.dataset.type));
    const text = $('#filter').value.trim().toLowerCase();
    const out = [];
    for (let i = st.log.length - 1; i >= 0 && out.length < SHOWN_LOG; i--) {
      const r = st.log[i];
      if (!types.has(r.type)) continue;
      const row = [secs(r.t), r.type.replace('@xstate.', ''), r.actor || '', detail(r)];
      if (text && !row.join(' ').toLowerCase().includes(text)) continue;
      out.push(row);
    }
    rows($('#log tbody'), out, (row) => row.map((v) => [v]));
    $('#log-count').textContent = `${out.length} shown of ${st.log.length}`;
  }

  function schedule() {
    if (!dirty) { dirty = true; requestAnimationFrame(render); }
  }

  // ---- live ----
  function setMode(mode) { document.body.dataset.mode = mode; $('#mode').textContent = mode; }

  function useMeta(m) {
    if (meta && JSON.stringify(meta.chart) === JSON.stringify(m.chart)) { meta = m; return; }
    meta = m;
    layout = buildLayout(m.chart);
  }

  function connect() {
    const source = new EventSource('events');
    source.addEventListener('hello', (ev) => {
      const hello = JSON.parse(ev.data);
      useMeta(hello.meta);
      live = { records: hello.records, summary: hello.summary };
      if (hello.replay) { source.close(); void fetch('recording.jsonl').then((r) => r.text()).then(loadRecording); return; }
      if (!replay) { st = fresh(); if (hello.dropped > 0) applySummary(st, hello.summary); for (const r of hello.records) apply(st, r); setMode('live'); schedule(); }
    });
    source.onmessage = (ev) => {
      const batch = JSON.parse(ev.data);
      for (const r of batch) live.records.push(r);
      if (live.records.length > MAX_LOG) live.records.splice(0, live.records.length - MAX_LOG);
      if (!replay) { for (const r of batch) apply(st, r); schedule(); }
    };
    source.onerror = () => { if (!replay) setMode(st.status === 'done' ? 'ended' : 'disconnected'); };
  }

  // ---- replay ----
  function loadRecording(text) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const parsed = lines.map((l) => JSON.parse(l));
    const m = parsed.find((r) => r.type === 'meta');
    if (!m) throw new Error('not an inspector recording: no meta line');
    const records = parsed.filter((r) => r.type !== 'meta');
    if (replay && replay.timer) clearInterval(replay.timer);
    replay = { meta: m, records, pos: records.length - 1, timer: null };
    useMeta(m);
    const slider = $('#slider');
    slider.max = String(Math.max(0, records.length - 1));
    slider.disabled = false;
    $('#play').disabled = false;
    $('#live').hidden = false;
    setMode('replay');
    seek(0);
  }

  function seek(pos) {
    replay.pos = Math.max(0, Math.min(pos, replay.records.length - 1));
    st = fresh();
    for (let i = 0; i <= replay.pos && i < replay.records.length; i++) apply(st, replay.records[i]);
    $('#slider').value = String(replay.pos);
    const r = replay.records[replay.pos];
    $('#position').textContent = r ? `${replay.pos + 1} / ${replay.records.length} · ${secs(r.t)}` : 'empty recording';
    schedule();
  }

  $('#file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (file) loadRecording(await file.text());
  });
  $('#slider').addEventListener('input', (ev) => seek(Number(ev.target.value)));
  $('#play').addEventListener('click', () => {
    if (replay.timer) { clearInterval(replay.timer); replay.timer = null; $('#play').textContent = '▶'; return; }
    if (replay.pos >= replay.records.length - 1) seek(0);
    $('#play').textContent = '❚❚';
    replay.timer = setInterval(() => {
      if (replay.pos >= replay.records.length - 1) { clearInterval(replay.timer); replay.timer = null; $('#play').textContent = '▶'; return; }
      seek(replay.pos + 1);
    }, 60);
  });
  $('#live').addEventListener('click', () => {
    if (replay && replay.timer) clearInterval(replay.timer);
    replay = null;
    $('#slider').disabled = true; $('#play').disabled = true; $('#live').hidden = true; $('#position').textContent = 'live';
    st = fresh();
    applySummary(st, live.summary);
    for (const r of live.records) apply(st, r);
    setMode('live');
    schedule();
  });
  $('#filter').addEventListener('input', renderLog);
  for (const box of document.querySelectorAll('.filters input[type=checkbox]')) box.addEventListener('change', renderLog);

  window.inspectorPage = { loadRecording, seek, get state() { return st.state; }, get visited() { return [...st.visited]; },
    get recordCount() { return replay ? replay.records.length : 0; } };
  connect();
})();
