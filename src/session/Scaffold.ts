import { RuntimeError, UsageTypeError, describeValue } from '../errors.ts';
import type { FeedDict } from '../graph/fetches.ts';
import { Graph } from '../graph/Graph.ts';
import { GraphKeys } from '../graph/GraphKeys.ts';
import type { Session } from '../graph/Session.ts';
import type { Tensor } from '../graph/Tensor.ts';
import { checkOptions, expect, instanceOf, is, optional, withMethods } from '../internal/validate.ts';
import { Saver } from '../checkpoint/Saver.ts';
import { mergeAll, type Summary } from '../summary/ops.ts';

/** What session creation needs of a saver (the `Saver` of the checkpoint module has it). */
export interface SaverLike {
  save(
    session: Session,
    savePath: string,
    options?: { globalStep?: number; writeMetaGraph?: boolean },
  ): Promise<string>;
  restore(session: Session, prefix: string): Promise<void>;
  recoverLastCheckpoints?(paths: readonly string[]): void;
  /** Asynchronous checkpointing (`Saver.saveInBackground`): resolves once the values are taken. */
  saveInBackground?(
    session: Session,
    savePath: string,
    options?: { globalStep?: number; writeMetaGraph?: boolean },
  ): Promise<{ prefix: string; written: Promise<string>; quiet?: () => boolean }>;
}

/** A user init function: called with the scaffold and the new session when nothing was restored. */
export type ScaffoldInitFn = (scaffold: Scaffold, session: Session) => unknown;

/** Options of {@link Scaffold}; every field defaults to what `finalize` finds or builds. */
export interface ScaffoldOptions {
  initOp?: Tensor;
  initFeedDict?: FeedDict;
  initFn?: ScaffoldInitFn;
  readyOp?: Tensor;
  readyForLocalInitOp?: Tensor;
  localInitOp?: Tensor;
  localInitFeedDict?: FeedDict;
  summaryOp?: Tensor<Summary>;
  saver?: SaverLike;
  copyFromScaffold?: Scaffold;
}

/**
 * Everything needed to create or restore a session for a graph (TensorFlow's `Scaffold`):
 * init, ready and local-init ops, the summary op and the saver. `finalize(graph)` fills what
 * was not given from the graph's collections, or builds defaults, then finalizes the graph.
 */
export class Scaffold {
  #initOp: Tensor | undefined;
  #initFeedDict: FeedDict | undefined;
  #userInitFn: ScaffoldInitFn | undefined;
  #readyOp: Tensor | undefined;
  #readyForLocalInitOp: Tensor | undefined;
  #localInitOp: Tensor | undefined;
  #localInitFeedDict: FeedDict | undefined;
  #summaryOp: Tensor<Summary> | undefined;
  #saver: SaverLike | undefined;

  constructor(options: ScaffoldOptions = {}) {
    const keys = [
      'initOp',
      'initFeedDict',
      'initFn',
      'readyOp',
      'readyForLocalInitOp',
      'localInitOp',
      'localInitFeedDict',
      'summaryOp',
      'saver',
      'copyFromScaffold',
    ] as const;
    checkOptions('Scaffold', options, keys);
    optional('Scaffold', 'initFn', options.initFn, is.function);
    optional('Scaffold', 'saver', options.saver, withMethods('a saver (with save() and restore())', 'save', 'restore'));
    const from = options.copyFromScaffold;
    if (from !== undefined && !isScaffold(from)) {
      const message = `Scaffold: copy_from_scaffold is not a Scaffold instance (got ${describeValue(from)}).`;
      throw new UsageTypeError(message, { api: 'Scaffold', option: 'copyFromScaffold', received: from });
    }
    this.#initOp = options.initOp ?? (from === undefined ? undefined : from.#initOp);
    this.#initFeedDict = options.initFeedDict ?? (from === undefined ? undefined : from.#initFeedDict);
    this.#userInitFn = options.initFn ?? (from === undefined ? undefined : from.#userInitFn);
    this.#readyOp = options.readyOp ?? (from === undefined ? undefined : from.#readyOp);
    this.#readyForLocalInitOp =
      options.readyForLocalInitOp ?? (from === undefined ? undefined : from.#readyForLocalInitOp);
    this.#localInitOp = options.localInitOp ?? (from === undefined ? undefined : from.#localInitOp);
    this.#localInitFeedDict = options.localInitFeedDict ?? (from === undefined ? undefined : from.#localInitFeedDict);
    this.#summaryOp = options.summaryOp ?? (from === undefined ? undefined : from.#summaryOp);
    this.#saver = options.saver ?? (from === undefined ? undefined : from.#saver);
  }

  get initOp(): Tensor | undefined {
    return this.#initOp;
  }
  get initFeedDict(): FeedDict | undefined {
    return this.#initFeedDict;
  }
  /** The init function bound to this scaffold: `(session) => initFn(scaffold, session)`. */
  get initFn(): ((session: Session) => unknown) | undefined {
    const fn = this.#userInitFn;
    return fn === undefined ? undefined : (session: Session) => fn(this, session);
  }
  get readyOp(): Tensor | undefined {
    return this.#readyOp;
  }
  get readyForLocalInitOp(): Tensor | undefined {
    return this.#readyForLocalInitOp;
  }
  get localInitOp(): Tensor | undefined {
    return this.#localInitOp;
  }
  get localInitFeedDict(): FeedDict | undefined {
    return this.#localInitFeedDict;
  }
  get summaryOp(): Tensor<Summary> | undefined {
    return this.#summaryOp;
  }
  get saver(): SaverLike | undefined {
    return this.#saver;
  }

  /**
   * Fills every field still unset from its graph collection (which must hold at most one item),
   * or builds the default and adds it to that collection; then finalizes the graph. Idempotent.
   */
  finalize(graph: Graph): this {
    expect('Scaffold.finalize', 'graph', graph, instanceOf(Graph));
    this.#initOp ??= cached(graph, GraphKeys.INIT_OP, () => graph.group([graph.globalVariablesInitializer()], 'init'));
    this.#readyOp ??= cached(graph, GraphKeys.READY_OP, () => graph.reportUninitializedVariables());
    this.#readyForLocalInitOp ??= cached(graph, GraphKeys.READY_FOR_LOCAL_INIT_OP, () =>
      graph.reportUninitializedVariables(graph.globalVariables(), 'report_uninitialized_variables_1'),
    );
    this.#localInitOp ??= cached(graph, GraphKeys.LOCAL_INIT_OP, () => Scaffold.defaultLocalInitOp(graph));
    this.#summaryOp ??= cached(graph, GraphKeys.SUMMARY_OP, () => mergeAll(graph));
    if (this.#saver === undefined) {
      const savers = graph.getCollection<SaverLike>(GraphKeys.SAVERS);
      if (savers.length > 1) {
        throw new RuntimeError(
          'More than one item in collection savers. Please indicate which one to use by passing it to the constructor.',
        );
      }
      this.#saver = savers[0];
      if (this.#saver === undefined && !graph.finalized) {
        // TensorFlow's default: a saver of all global variables, added to SAVERS.
        this.#saver = new Saver();
        graph.addToCollection(GraphKeys.SAVERS, this.#saver);
      }
    }
    graph.finalize();
    return this;
  }

  /** The default local init op: runs the local variables' initializers. */
  static defaultLocalInitOp(graph: Graph): Tensor {
    expect('Scaffold.defaultLocalInitOp', 'graph', graph, instanceOf(Graph));
    return graph.group([graph.localVariablesInitializer()], 'group_deps');
  }
}

/** `value instanceof Scaffold`, false for a value that throws when inspected (a revoked proxy). */
function isScaffold(value: unknown): value is Scaffold {
  try {
    return value instanceof Scaffold;
  } catch {
    return false;
  }
}

/** The single item of `key`, or `build()` added to `key` (nothing added when it builds undefined). */
function cached<T>(graph: Graph, key: string, build: () => T | undefined): T | undefined {
  const items = graph.getCollection<T>(key);
  if (items.length > 1) {
    throw new RuntimeError(
      `More than one item in the collection "${key}". Please indicate which one to use by passing it to the constructor.`,
    );
  }
  if (items.length === 1) return items[0];
  const made = build();
  if (made !== undefined) graph.addToCollection(key, made);
  return made;
}
