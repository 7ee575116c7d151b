// The inspector page: the lifecycle chart laid out by dagre from the machine's own graph, the
// current state live over SSE, child actors, recoveries, step rate, the end, a filterable event
// log, and the replay of a flight recording (file picker, time slider). No network but its origin.
import { buildLayout, drawChart } from './chart.js';
import { apply, applySummary, fresh } from './state.js';

{
  const $ = (sel) => document.querySelector(sel);
  const MAX_LOG = 5000;
  const SHOWN_LOG = 200;

  let meta = null;
  let layout = null;
  let st = fresh();
  let live = { records: [], summary: null };
  let replay = null; // { meta, records, pos, timer }
  let dirty = false;

  // ---- panels ----
  const t0 = () => (replay ? replay.meta.startedAt : meta ? meta.startedAt : 0);
  const secs = (t) => ((t - t0()) / 1000).toFixed(2) + 's';
  const errText = (e) => (e ? `${e.name}: ${e.message}` : '–');

  function rate(steps) {
    if (steps.length < 2) return null;
    const a = steps[Math.max(0, steps.length - 6)],
      b = steps[steps.length - 1];
    return b.t > a.t ? ((b.step - a.step) * 1000) / (b.t - a.t) : null;
  }

  function detail(r) {
    if (r.type === '@xstate.snapshot')
      return (
        (r.state ? r.state + ' ' : '') +
        `[${r.status}] ← ${r.event ? r.event.type : ''}` +
        (r.error ? ' ' + errText(r.error) : '')
      );
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
    $('#last-error').textContent =
      c && c.lastError ? errText(c.lastError) : st.end && st.end.error ? errText(st.end.error) : '–';
    const actors = [...st.actors.values()].reverse();
    rows($('#actors tbody'), actors, (a) => [[a.actor], [a.kind], [a.where], [a.status, 'status-' + a.status]]);
    const recs = [...st.recoveries.values()].sort((a, b) => b.seq - a.seq);
    rows($('#recoveries tbody'), recs, (x) => [
      [String(recs.length - recs.indexOf(x))],
      [secs(x.t)],
      [`${x.error}: ${x.message}`],
      [x.source],
      [String(x.attemptNumber)],
      [x.delayMs + ' ms'],
    ]);
    renderLog();
    drawChart($('#chart'), layout, meta.chart, st);
  }

  function renderLog() {
    const types = new Set(
      [...document.querySelectorAll('.filters input[type=checkbox]:checked')].map((i) => i.dataset.type),
    );
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
    if (!dirty) {
      dirty = true;
      requestAnimationFrame(render);
    }
  }

  // ---- live ----
  function setMode(mode) {
    document.body.dataset.mode = mode;
    $('#mode').textContent = mode;
  }

  function useMeta(m) {
    if (meta && JSON.stringify(meta.chart) === JSON.stringify(m.chart)) {
      meta = m;
      return;
    }
    meta = m;
    layout = buildLayout(m.chart);
  }

  function connect() {
    const source = new EventSource('events');
    source.addEventListener('hello', (ev) => {
      const hello = JSON.parse(ev.data);
      useMeta(hello.meta);
      live = { records: hello.records, summary: hello.summary };
      if (hello.replay) {
        source.close();
        void fetch('recording.jsonl')
          .then((r) => r.text())
          .then(loadRecording);
        return;
      }
      if (!replay) {
        st = fresh();
        if (hello.dropped > 0) applySummary(st, hello.summary);
        for (const r of hello.records) apply(st, r);
        setMode('live');
        schedule();
      }
    });
    source.onmessage = (ev) => {
      const batch = JSON.parse(ev.data);
      for (const r of batch) live.records.push(r);
      if (live.records.length > MAX_LOG) live.records.splice(0, live.records.length - MAX_LOG);
      if (!replay) {
        for (const r of batch) apply(st, r);
        schedule();
      }
    };
    source.onerror = () => {
      if (!replay) setMode(st.status === 'done' ? 'ended' : 'disconnected');
    };
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
    if (replay.timer) {
      clearInterval(replay.timer);
      replay.timer = null;
      $('#play').textContent = '▶';
      return;
    }
    if (replay.pos >= replay.records.length - 1) seek(0);
    $('#play').textContent = '❚❚';
    replay.timer = setInterval(() => {
      if (replay.pos >= replay.records.length - 1) {
        clearInterval(replay.timer);
        replay.timer = null;
        $('#play').textContent = '▶';
        return;
      }
      seek(replay.pos + 1);
    }, 60);
  });
  $('#live').addEventListener('click', () => {
    if (replay && replay.timer) clearInterval(replay.timer);
    replay = null;
    $('#slider').disabled = true;
    $('#play').disabled = true;
    $('#live').hidden = true;
    $('#position').textContent = 'live';
    st = fresh();
    applySummary(st, live.summary);
    for (const r of live.records) apply(st, r);
    setMode('live');
    schedule();
  });
  $('#filter').addEventListener('input', renderLog);
  for (const box of document.querySelectorAll('.filters input[type=checkbox]'))
    box.addEventListener('change', renderLog);

  window.inspectorPage = {
    loadRecording,
    seek,
    get state() {
      return st.state;
    },
    get visited() {
      return [...st.visited];
    },
    get recordCount() {
      return replay ? replay.records.length : 0;
    },
  };
  connect();
}
