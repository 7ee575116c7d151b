/**
 * The bits of protobuf's text format that a `CheckpointState` uses, read and written as
 * TensorFlow's `text_format` does: `field: "string"` with C escapes (`\n`, `\"`, octal `\303\251`,
 * hex `\xc3`), adjacent string literals concatenated, and `field: 1.5e9` numbers.
 */

const SIMPLE: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '?': 63 };
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes the body of one quoted literal (between its quotes) into bytes; `undefined` when malformed. */
function unescapeBytes(body: string, out: number[]): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      for (const b of Buffer.from(c)) out.push(b);
      continue;
    }
    const e = body[++i];
    if (e === undefined) return false;
    let m: RegExpExecArray | null;
    if (SIMPLE[e] !== undefined) out.push(SIMPLE[e]);
    else if ((m = /^[0-7]{1,3}/.exec(body.slice(i)))) {
      const v = parseInt(m[0], 8);
      if (v > 255) return false;
      out.push(v);
      i += m[0].length - 1;
    } else if (e === 'x' && (m = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1)))) {
      out.push(parseInt(m[0], 16));
      i += m[0].length;
    } else if ((e === 'u' && (m = /^[0-9a-fA-F]{4}/.exec(body.slice(i + 1)))) || (e === 'U' && (m = /^[0-9a-fA-F]{8}/.exec(body.slice(i + 1))))) {
      const cp = parseInt(m[0], 16);
      if (cp > 0x10ffff) return false;
      for (const b of Buffer.from(String.fromCodePoint(cp))) out.push(b);
      i += m[0].length;
    } else return false;
  }
  return true;
}

/** The value of one `field: value` line: a string (one or more adjacent literals) or a number. */
export function parseTextValue(raw: string): string | number | undefined {
  const text = raw.trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fF]?$/.test(text)) return Number(text.replace(/[fF]$/, ''));
  const literal = /\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')/y;
  const bytes: number[] = [];
  let at = 0;
  let count = 0;
  while (at < text.length) {
    literal.lastIndex = at;
    const m = literal.exec(text);
    if (!m || !unescapeBytes(m[1] ?? m[2]!, bytes)) return undefined;
    at = literal.lastIndex;
    count++;
  }
  if (count === 0) return undefined;
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** A string as a text-format literal, escaped as TensorFlow's `text_format` does (non-ASCII bytes in octal). */
export function formatTextString(value: string): string {
  let out = '"';
  for (const b of Buffer.from(value, 'utf8')) {
    if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x22) out += '\\"';
    else if (b === 0x27) out += "\\'";
    else if (b === 0x5c) out += '\\\\';
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}
