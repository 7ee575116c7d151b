/**
 * What the API fuzz calls: discovered from the exports of `src/index.ts`, never listed by hand,
 * so a new export is fuzzed the day it is added. Every exported class is constructed, every
 * exported function (and every function of an exported namespace such as `summary`) called,
 * every static method called, and every instance method called on an instance built the way a
 * user would build it.
 */
import * as api from '../../src/index.ts';
import { join } from 'node:path';
import type { Env } from './values.ts';

export type Kind = 'construct' | 'call' | 'method';

/** One fuzz target: its name for the report and how to invoke it. */
export interface Target {
  readonly name: string;
  readonly kind: Kind;
  /** Invokes the target with `args`; for `method`, on a fresh instance built from `env`. */
  invoke(
    env: Env,
    args: unknown[],
  ): Promise<{ result: unknown; opened: unknown[] }> | { result: unknown; opened: unknown[] };
}

/**
 * APIs that wait by contract until something else happens (a stop request, a ready chief, a
 * step reached, a timer): not settling within the bound is counted as `blocking`, not as a hang.
 */
export const BLOCKING_BY_DESIGN = new Set([
  'sleep',
  'Coordinator#waitForStop',
  'Coordinator#join',
  'SessionManager#waitForSession',
  'WorkerSessionCreator#createSession',
  'GlobalStepWaiterHook#beforeRun',
]);

const exportsOf = api as unknown as Record<string, unknown>;

export function isClass(value: unknown): value is new (...args: unknown[]) => unknown {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/** Own function-valued properties (statics of a class, members of a namespace). */
function functionsOf(value: object, skip: readonly string[]): string[] {
  return Object.getOwnPropertyNames(value).filter((name) => {
    if (skip.includes(name)) return false;
    const d = Object.getOwnPropertyDescriptor(value, name);
    return d !== undefined && typeof d.value === 'function' && !isClass(d.value);
  });
}

/** Methods an instance has (own prototype chain, not Object's), getters excluded. */
export function methodsOf(instance: object): string[] {
  const names = new Set<string>();
  for (
    let p = Object.getPrototypeOf(instance) as object | null;
    p !== null && p !== Object.prototype && p !== Error.prototype;
    p = Object.getPrototypeOf(p) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (name !== 'constructor' && d !== undefined && typeof d.value === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

/** Namespaces whose functions are fuzzed; `lifecycleMachine` is xstate's API, not this package's. */
const NAMESPACES = ['summary', 'logger', 'systemClock', 'silentLogger'];

/** Argument lists tried, in order, to build an instance the way a user would. */
function candidates(env: Env): unknown[][] {
  const dir = (name: string): string => join(env.root, name);
  const queue = (): api.FIFOQueue<number> => env.graph.fifoQueue<number>({ capacity: 2 });
  return [
    [],
    [{ graph: env.graph }],
    [env.graph],
    [dir('logs')],
    [{ graph: env.graph, checkpointDir: dir('ckpt') }],
    [{ lastStep: 3 }],
    [{ everySteps: 1 }],
    [{ saveSteps: 1, checkpointDir: dir('ckpt') }],
    [{ saveSteps: 1, outputDir: dir('summaries'), summaryOp: api.summary.scalar(env.graph, 'c', env.constant) }],
    [{ saveSteps: 1, outputDir: dir('profile') }],
    [{ tensors: [env.constant], everyNIter: 1 }],
    [{ lossTensor: env.constant }],
    [{ waitUntilStep: 0 }],
    [{ finalOps: env.constant }],
    [{ feedFn: () => ({}) }],
    [
      (() => {
        const q = queue();
        return { queue: q, enqueueOps: [q.enqueue(1)] };
      })(),
    ],
    [env.session, async (): Promise<unknown> => undefined],
    ['not ready', 10],
    ['seam'],
    [{}],
  ];
}

/** How a user gets an instance of the classes that are not built with `new` alone. */
async function instanceOf(name: string, cls: new (...args: unknown[]) => unknown, env: Env): Promise<unknown> {
  switch (name) {
    case 'Graph':
      return env.graph;
    case 'Session':
      return env.session;
    case 'Tensor':
      return env.constant;
    case 'Variable':
      return env.variable;
    case 'FIFOQueue':
      return env.graph.fifoQueue({ capacity: 2, name: 'q' });
    case 'Server':
      return api.Server.createLocalServer();
    case 'MonitoredSession':
      return api.MonitoredSession.create({ graph: env.graph });
    case 'SingularMonitoredSession':
      return api.SingularMonitoredSession.create({ graph: env.graph, checkpointDir: join(env.root, 'singular') });
  }
  for (const args of candidates(env)) {
    try {
      return new cls(...args);
    } catch {
      // try the next shape
    }
  }
  return undefined;
}

/** Every target, discovered from the exports. */
export function discoverTargets(): Target[] {
  const targets: Target[] = [];
  for (const [name, value] of Object.entries(exportsOf)) {
    if (isClass(value)) {
      targets.push({
        name: `new ${name}`,
        kind: 'construct',
        invoke: (_env, args) => ({ result: new value(...args), opened: [] }),
      });
      for (const s of functionsOf(value, ['length', 'name', 'prototype'])) {
        const fn = (value as unknown as Record<string, (...a: unknown[]) => unknown>)[s]!;
        targets.push({
          name: `${name}.${s}`,
          kind: 'call',
          invoke: (_env, args) => ({ result: fn.apply(value, args), opened: [] }),
        });
      }
    } else if (typeof value === 'function') {
      const fn = value as (...a: unknown[]) => unknown;
      targets.push({ name, kind: 'call', invoke: (_env, args) => ({ result: fn(...args), opened: [] }) });
    } else if (NAMESPACES.includes(name) && value !== null && typeof value === 'object') {
      for (const member of functionsOf(value, [])) {
        const fn = (value as Record<string, (...a: unknown[]) => unknown>)[member]!;
        targets.push({
          name: `${name}.${member}`,
          kind: 'call',
          invoke: (_env, args) => ({ result: fn.apply(value, args), opened: [] }),
        });
      }
    }
  }
  return targets;
}

/** Instance-method targets: `Class#method` for every exported class whose instance a user can build. */
export async function discoverMethodTargets(env: Env): Promise<Target[]> {
  const targets: Target[] = [];
  for (const [name, value] of Object.entries(exportsOf)) {
    if (!isClass(value) || value.prototype instanceof Error || value === Error) continue;
    let instance: unknown;
    try {
      instance = await instanceOf(name, value, env);
    } catch {
      continue;
    }
    if (instance === null || typeof instance !== 'object') continue;
    await closeQuietly(instance);
    for (const method of methodsOf(instance)) {
      targets.push({
        name: `${name}#${method}`,
        kind: 'method',
        invoke: async (e, args) => {
          const fresh = (await instanceOf(name, value, e)) as Record<string, (...a: unknown[]) => unknown>;
          return { result: fresh[method]!(...args), opened: [fresh] };
        },
      });
    }
  }
  return targets;
}

/** Closes what a call opened, if it can be closed, ignoring how (bounded by the caller). */
export async function closeQuietly(value: unknown): Promise<void> {
  if (value === null || typeof value !== 'object' || api.Graph.prototype === Object.getPrototypeOf(value)) return;
  try {
    const close = (value as { close?: unknown }).close;
    if (typeof close === 'function') await (close as () => unknown).call(value);
  } catch {
    // already closed or failed to close: not what this call is judged on
  }
}
