import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyStateNode } from 'xstate';
import { lifecycleMachine, toMermaid } from '../../machines/index.ts';

const text = toMermaid(lifecycleMachine);
const lines = text.split('\n').map((l) => l.trim());

function allStates(node: AnyStateNode): AnyStateNode[] {
  return (Object.values(node.states) as AnyStateNode[]).flatMap((c) => [c, ...allStates(c)]);
}

describe('toMermaid', () => {
  it('gives no state a description (Mermaid draws a description instead of the name)', () => {
    const descriptions = lines.filter((l) => /^[\w]+ : /.test(l) && !l.includes('-->'));
    assert.deepEqual(descriptions, []);
  });

  it('labels every state box with its own name first', () => {
    for (const node of allStates(lifecycleMachine.root)) {
      const id = node.path.join('_');
      const declared = lines.find((l) => l.endsWith(` as ${id}`));
      const label = declared === undefined ? id : /^state "([^"]*)"/.exec(declared)![1]!;
      assert.ok(label === node.key || label.startsWith(`${node.key} · `), `${id} is labelled ${JSON.stringify(label)}`);
    }
  });

  it('keeps the invoked effect in the label of the states that invoke one', () => {
    assert.ok(lines.includes('state "creating · openSession" as creating'));
    assert.ok(lines.includes('state "failedClosing · closeStack" as failedClosing'));
  });

  it('draws one edge per pair of states, listing every transition between them', () => {
    const pairs = lines.filter((l) => l.includes(' --> ') && !l.includes('[*]')).map((l) => l.split(' : ')[0]);
    assert.equal(new Set(pairs).size, pairs.length, 'no two edges join the same two states');
    assert.ok(lines.includes('detaching --> detached : closeStack done / closeStack failed'));
  });
});
