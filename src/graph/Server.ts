import { nanoid } from 'nanoid';
import { UnavailableError, UsageTypeError } from '../errors.ts';
import { expect, is, misuse, withMethods } from '../internal/validate.ts';
import { InMemoryStore } from './InMemoryStore.ts';
import type { ResourceStore } from './ResourceStore.ts';

/** Turns a target string (e.g. `redis://host/0`) into the store that sessions on it share. */
export type TargetResolver = (target: string) => ResourceStore;

const servers = new Map<string, InMemoryStore>();
const resolvers = new Map<string, TargetResolver>();

/**
 * An in-process server: sessions opened on its `target` share variables and queues. This is
 * how a chief and its workers share state in one process; other stores plug in through
 * {@link registerTargetResolver}.
 * @example
 * const server = Server.createLocalServer();
 * const chief = new Session(g, { target: server.target });
 * const worker = new Session(g, { target: server.target }); // sees the chief's variables
 */
export class Server {
  /** The string to pass as `target` (or `master`) to sessions and session creators. */
  readonly target: string;
  readonly #store: InMemoryStore;

  private constructor(target: string, store: InMemoryStore) {
    // Plain JavaScript can call a private constructor: point to the factory instead of failing later.
    if (typeof target !== 'string' || !(store instanceof InMemoryStore)) {
      const message = 'Server: `new Server(...)` is not public; start a server with `Server.createLocalServer()`';
      throw new UsageTypeError(message, { api: 'Server', option: 'constructor', received: target });
    }
    this.target = target;
    this.#store = store;
  }

  /** Starts a new in-process server with a unique `local://` target. */
  static createLocalServer(): Server {
    const target = `local://${nanoid(10)}`;
    const store = new InMemoryStore();
    servers.set(target, store);
    return new Server(target, store);
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#store.closedWith !== undefined;
  }

  /**
   * Stops the server: pending queue operations of its sessions and all later runs on them fail
   * with `UnavailableError`, and new sessions on the target cannot be created.
   */
  async close(): Promise<void> {
    servers.delete(this.target);
    this.#store.close(new UnavailableError(`Server ${this.target} was closed.`));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Registers how to reach targets that start with `scheme` (e.g. `'redis:'`); returns a function
 * that removes the registration.
 */
export function registerTargetResolver(scheme: string, resolver: TargetResolver): () => void {
  expect('registerTargetResolver', 'scheme', scheme, is.string);
  if (!/^[a-z][a-z0-9+.-]*:$/i.test(scheme) || scheme === 'local:') {
    misuse('registerTargetResolver', 'scheme', "a URL scheme like 'redis:' (not 'local:')", scheme);
  }
  expect('registerTargetResolver', 'resolver', resolver, is.function);
  resolvers.set(scheme, resolver);
  return () => {
    if (resolvers.get(scheme) === resolver) resolvers.delete(scheme);
  };
}

/** The store for a session target: a private one for `''`, a server's for its target. @internal */
export function resolveTarget(target: string): ResourceStore {
  expect('Session', 'target', target, is.string);
  if (target === '') return new InMemoryStore({ private: true });
  const local = servers.get(target);
  if (local) return local;
  if (target.startsWith('local://')) throw new UnavailableError(`Session: no server is running at target '${target}'`);
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(target)?.[0];
  const resolver = scheme === undefined ? undefined : resolvers.get(scheme);
  if (resolver === undefined) {
    misuse('Session', 'target', "'' or a server's target (no resolver is registered for its scheme)", target);
  }
  const store = resolver(target);
  if (!storeRule.test(store))
    misuse('Session', 'target', `resolved by the '${scheme}' resolver to a ResourceStore`, store, 'type');
  return store;
}

const storeRule = withMethods<ResourceStore>(
  'a ResourceStore',
  'readVariable',
  'writeVariable',
  'isInitialized',
  'queue',
  'close',
);
