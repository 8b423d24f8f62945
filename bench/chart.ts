import type { BenchResult } from './harness';
import { fmt } from './harness';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * One SVG image of every goal: how far each median is from its goal, on a log scale where
 * the middle line is the goal itself (right of it: met; the bar's label says by how much).
 */
export function goalsChart(results: readonly BenchResult[]): string {
  const goals = results.flatMap((r) =>
    r.goals
      .filter((g) => g.median !== null)
      .map((g) => ({ bench: r.name, unit: r.figures.find((f) => f.name === g.figure)?.unit ?? '', ...g })),
  );
  const rowH = 34;
  const left = 360;
  const width = 900;
  const plotW = width - left - 40;
  const height = 70 + goals.length * rowH + 30;
  const maxFactor = 100; // a bar ends at 100x better or worse than the goal
  const x = (factor: number) => {
    const clamped = Math.min(maxFactor, Math.max(1 / maxFactor, factor));
    return left + plotW / 2 + (Math.log10(clamped) / Math.log10(maxFactor)) * (plotW / 2);
  };
  const mid = x(1);
  const bars = goals
    .map((g, i) => {
      const factor = g.op === '>=' ? g.median! / g.value : g.value / g.median!;
      const y = 60 + i * rowH;
      const end = x(factor);
      const color = factor >= 1 ? '#1a7f37' : '#cf222e';
      return `<text x="${left - 10}" y="${y + 17}" text-anchor="end" font-size="12">${esc(`${g.bench}: ${g.text}`.slice(0, 58))}</text>
<rect x="${Math.min(mid, end)}" y="${y + 4}" width="${Math.max(1, Math.abs(end - mid))}" height="${rowH - 12}" fill="${color}" rx="2"/>
<text x="${factor >= 1 ? end + 6 : end - 6}" y="${y + 17}" font-size="11" text-anchor="${factor >= 1 ? 'start' : 'end'}">${esc(`${fmt(g.median!)} ${g.unit} (${factor >= 1 ? '' : '1/'}${fmt(factor >= 1 ? factor : 1 / factor)}× goal)`)}</text>`;
    })
    .join('\n');
  const ticks = [0.01, 0.1, 1, 10, 100]
    .map(
      (
        t,
      ) => `<line x1="${x(t)}" y1="50" x2="${x(t)}" y2="${height - 30}" stroke="#d0d7de" stroke-dasharray="${t === 1 ? '0' : '3,3'}"/>
<text x="${x(t)}" y="${height - 12}" text-anchor="middle" font-size="11" fill="#57606a">${t === 1 ? 'goal' : `${t}×`}</text>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="28" font-size="16" font-weight="600">Benchmarks against their goals (median of runs; log scale)</text>
${ticks}
${bars}
</svg>
`;
}
