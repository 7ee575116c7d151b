/** How {@link ProgressHook} lays out its line: durations, values, and a bar that fits the terminal. @internal */
import { describeValue } from '../errors.ts';

export function formatDuration(secs: number): string {
  if (!Number.isFinite(secs)) return '--';
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export function formatValue(v: unknown): string {
  return typeof v === 'number' ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)) : describeValue(v);
}

/**
 * The progress line for a terminal of `columns`: `[####----] 50%  step 5/10  ...`. It never
 * reaches the last column (a full line makes many terminals wrap): the bar shrinks from 40 to
 * 10 cells, then goes, then the parts are cut at the right edge.
 */
export function fitProgressLine(parts: readonly string[], fraction: number | undefined, columns: number): string {
  const available = Math.max(1, Math.floor(Number.isFinite(columns) && columns > 0 ? columns : 80) - 1);
  const text = parts.join('  ');
  let line = text;
  if (fraction !== undefined) {
    const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%  `;
    const width = Math.min(40, available - text.length - percent.length - 3);
    if (width >= 10) {
      const filled = Math.round(fraction * width);
      line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}${text}`;
    } else {
      line = `${percent}${text}`;
    }
  }
  return line.length <= available ? line : line.slice(0, available);
}
