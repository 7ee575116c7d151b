/**
 * Argument checks of {@link SessionManager}'s methods (see `src/internal/validate.ts`): each
 * method names itself (`SessionManager.restore`) and the option in this API's spelling.
 */
import type { FeedDict } from '../graph/fetches.ts';
import { UsageValueError } from '../errors.ts';
import { Session, type SessionConfig } from '../graph/Session.ts';
import { Tensor } from '../graph/Tensor.ts';
import { checkOptions, expect, instanceOf, is, optional, withMethods } from '../internal/validate.ts';
import type { SaverLike } from './Scaffold.ts';

const restoreKeys = [
  'saver',
  'checkpointDir',
  'checkpointFilenameWithPath',
  'waitForCheckpoint',
  'maxWaitSecs',
] as const;
const sessionKeys = ['master', 'config'] as const;
const initKeys = ['initOp', 'initFeedDict', 'initFn'] as const;

const saverRule = withMethods<SaverLike>('a saver (with restore())', 'restore');

/** `session`, when it is a {@link Session}. */
export function checkSession(method: string, session: unknown): Session {
  return expect(`SessionManager.${method}`, 'session', session, instanceOf(Session));
}

/** The checked options of `method`: where to restore from, the session to open, how to initialize. */
export function checkManagerOptions(
  method: string,
  options: unknown,
  groups: { restore?: boolean; session?: boolean; init?: boolean; maxWait?: boolean },
): {
  saver?: SaverLike | undefined;
  checkpointDir?: string | undefined;
  checkpointFilenameWithPath?: string | undefined;
  waitForCheckpoint?: boolean;
  maxWaitSecs?: number;
  master?: string;
  config?: SessionConfig | undefined;
  initOp?: Tensor | undefined;
  initFeedDict?: FeedDict | undefined;
  initFn?: ((session: Session) => unknown) | undefined;
} {
  const api = `SessionManager.${method}`;
  const keys: string[] = [
    ...(groups.restore === true ? restoreKeys : groups.maxWait === true ? ['maxWaitSecs'] : []),
    ...(groups.session === true ? sessionKeys : []),
    ...(groups.init === true ? initKeys : []),
  ];
  const o = checkOptions(api, options, keys, { required: method === 'restore' || method === 'initialize' }) as Record<
    string,
    unknown
  >;
  optional(api, 'saver', o['saver'], saverRule);
  for (const key of ['checkpointDir', 'checkpointFilenameWithPath', 'master']) optional(api, key, o[key], is.string);
  optional(api, 'waitForCheckpoint', o['waitForCheckpoint'], is.boolean);
  optional(api, 'maxWaitSecs', o['maxWaitSecs'], is.duration);
  optional(api, 'config', o['config'], is.object);
  optional(api, 'initOp', o['initOp'], instanceOf(Tensor));
  if (o['initFeedDict'] !== null) optional(api, 'initFeedDict', o['initFeedDict'], is.object);
  optional(api, 'initFn', o['initFn'], is.function);
  return o;
}

/**
 * The error of a worker waiting on the private target `''`: every session there has a store of
 * its own, so no chief can ever make it ready and waiting (2 h by default) would only hang.
 */
export function neverReady(api: string, message: string): UsageValueError {
  return new UsageValueError(
    `${api}: Session was not ready (${message}) and never will be: on the private target '' no chief shares ` +
      "this session's state; expected `master` to be a shared target (a Server's target, redis://...), got ''",
    { api, option: 'master', received: '' },
  );
}
