// The lifecycle chart: laid out by dagre (loaded as a classic script: the global `dagre`) from the
// graph of states and transitions the server serializes from the machine's definition, drawn as SVG
// with the current state, its ancestors and the transitions taken so far highlighted.
/* global dagre */

function leafOf(graph, id) {
  const kids = graph.nodes.filter((n) => n.parent === id);
  if (kids.length === 0) return id;
  const first = kids.find((n) => n.initial) || kids[0];
  return leafOf(graph, first.id);
}

export function buildLayout(graph) {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 46, edgesep: 14, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const compound = new Set(graph.nodes.filter((n) => graph.nodes.some((m) => m.parent === n.id)).map((n) => n.id));
  for (const n of graph.nodes) {
    if (compound.has(n.id)) {
      g.setNode(n.id, { label: n.key, clusterLabelPos: 'top', paddingTop: 18 });
      continue;
    }
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
    g.setEdge(
      from,
      to,
      {
        label: lines.join('\n'),
        lines,
        width,
        height: lines.length * 12 + 2,
        labelpos: 'c',
        from: e.from,
        to: e.to,
      },
      'e' + i,
    );
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

/** Whether state `s` is `node` or inside it. */
const within = (s, node) => s === node || s.startsWith(node + '.');

export function drawChart(svg, layout, chart, st) {
  svg.replaceChildren();
  if (!layout) return;
  const { g, compound } = layout;
  const graphNodes = new Map(chart.nodes.map((n) => [n.id, n]));
  const info = g.graph();
  svg.setAttribute('viewBox', `0 0 ${info.width} ${info.height}`);
  const defs = el('defs', {}, svg);
  const marker = el(
    'marker',
    {
      id: 'arrow',
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    },
    defs,
  );
  el('path', { d: 'M 0 0 L 10 5 L 0 10 z' }, marker);
  const current = st.state;
  const ancestors = new Set();
  for (let p = current; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') ancestors.add(p);
  for (const id of compound) {
    const n = g.node(id);
    const grp = el('g', { class: 'cluster' + (ancestors.has(id) ? ' active' : '') }, svg);
    el('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 8 }, grp);
    el('text', { x: n.x - n.width / 2 + 8, y: n.y - n.height / 2 + 13, class: 'cluster-label' }, grp).textContent =
      n.label;
  }
  for (const e of g.edges()) {
    const d = g.edge(e);
    const taken = [...st.taken].some((pair) => {
      const [a, b] = pair.split('\u0000');
      return within(a, d.from) && within(b, d.to);
    });
    const grp = el('g', { class: 'edge' + (taken ? ' taken' : '') }, svg);
    const pts = d.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`);
    el('path', { d: 'M' + pts.join(' L'), 'marker-end': 'url(#arrow)' }, grp);
    const text = el('text', { x: d.x, y: d.y - (d.lines.length - 1) * 6, 'text-anchor': 'middle' }, grp);
    d.lines.forEach((line, i) => {
      el('tspan', { x: d.x, dy: i === 0 ? 3 : 12 }, text).textContent = line;
    });
  }
  for (const id of g.nodes()) {
    if (compound.has(id)) continue;
    const n = g.node(id);
    const def = graphNodes.get(id);
    const isCurrent = id === current;
    const cls = [
      'node',
      def.type === 'final' ? 'final' : '',
      st.visited.has(id) ? 'visited' : '',
      isCurrent ? 'current' : '',
      isCurrent && /failed|detach/.test(id) ? 'bad' : '',
      isCurrent && /recover|creat|initial|restor/.test(id) ? 'busy' : '',
    ];
    const grp = el('g', { class: cls.filter(Boolean).join(' '), 'data-state': id }, svg);
    el('rect', { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height, rx: 6 }, grp);
    const sub = def.invokes.join(', ');
    el('text', { x: n.x, y: n.y + (sub ? -3 : 4), 'text-anchor': 'middle' }, grp).textContent = def.key;
    if (sub)
      el('text', { x: n.x, y: n.y + 12, 'text-anchor': 'middle', class: 'invoke' }, grp).textContent = '⟳ ' + sub;
  }
}
