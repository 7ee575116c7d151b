/** Whether to colour output written to `stream`: a terminal, unless `NO_COLOR` is set and non-empty (no-color.org). */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const noColor = env['NO_COLOR'];
  return Boolean(stream.isTTY) && (noColor === undefined || noColor === '');
}

/** ANSI styles, or the identity when colour is off. */
export function palette(enabled: boolean) {
  const wrap = (code: string) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap('1'), green: wrap('32'), yellow: wrap('33'), dim: wrap('2') };
}
