// The page's state, reduced from records: idempotent by `seq`, so a late page can start from the
// server's summary and then apply the buffered records, and a replay from any position.
const MAX_LOG = 5000;

export function fresh() {
  return {
    state: '',
    status: '',
    value: null,
    context: null,
    lastRootSeq: 0,
    actors: new Map(),
    recoveries: new Map(),
    steps: [],
    end: null,
    log: [],
    visited: new Set(),
    taken: new Set(),
  };
}

export function apply(s, r) {
  s.log.push(r);
  if (s.log.length > MAX_LOG) s.log.splice(0, s.log.length - MAX_LOG);
  if (r.type === 'step') {
    s.steps.push(r);
    if (s.steps.length > 50) s.steps.shift();
    return;
  }
  if (r.type === 'end') {
    s.end = r;
    return;
  }
  if (r.kind === 'root') {
    if (r.type === '@xstate.snapshot' && r.seq > s.lastRootSeq) {
      if (s.state && r.state && s.state !== r.state) s.taken.add(s.state + '\u0000' + r.state);
      s.lastRootSeq = r.seq;
      s.state = r.state;
      s.status = r.status;
      s.value = r.value;
      s.context = r.context;
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

export function applySummary(s, sum) {
  if (!sum) return;
  for (const a of sum.actors)
    s.actors.set(a.sessionId, { actor: a.actor, kind: a.kind, where: a.where || '', status: a.status, seq: a.seq });
  for (const r of sum.recoveries) s.recoveries.set(r.seq, r);
  s.steps.push(...sum.steps);
  if (sum.end) s.end = sum.end;
  if (sum.root) {
    apply(s, sum.root);
    s.log.pop();
  }
}
