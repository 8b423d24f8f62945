// The two charts, drawn with Chart.js (served by the API from its pinned npm package).
import { bucketLabel, buckets, compactMoney, moneyOf } from './format.js';

export const PALETTE = [
  '#5b5bd6',
  '#12a594',
  '#e5484d',
  '#f5a524',
  '#0090ff',
  '#8e4ec6',
  '#46a758',
  '#d6409f',
  '#978365',
];
const OTHER = '#b9bbc6';
const MAX_SERIES = 8;
const FONT = { family: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 12 };

const charts = new Map();

function draw(canvas, config) {
  charts.get(canvas)?.destroy();
  const Chart = globalThis.Chart;
  if (!Chart) throw new Error('the chart library did not load');
  Chart.defaults.font = FONT;
  Chart.defaults.color = '#60646c';
  // No animation: the numbers are what matter, and a chart is final the moment it is drawn.
  const chart = new Chart(canvas, {
    ...config,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options },
  });
  charts.set(canvas, chart);
  canvas.dataset.drawn = String(Date.now());
  return chart;
}

export function clear(canvas) {
  charts.get(canvas)?.destroy();
  charts.delete(canvas);
  delete canvas.dataset.drawn;
}

/**
 * Cost per bucket stacked by SKU: the largest SKUs of the period get their own colour, the
 * rest are one "other" series, so a legend stays readable.
 */
export function drawCostBySku(canvas, answer, range, granularity) {
  const starts = buckets(range, granularity);
  const index = new Map(starts.map((s, i) => [s, i]));
  const totals = new Map();
  for (const r of answer.rows) totals.set(r.sku, (totals.get(r.sku) ?? 0) + Number(r.amount));
  const ranked = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
  const own = ranked.length > MAX_SERIES + 1 ? ranked.slice(0, MAX_SERIES) : ranked;
  const series = new Map(own.map((sku) => [sku, new Array(starts.length).fill(0)]));
  if (own.length < ranked.length) series.set('other', new Array(starts.length).fill(0));
  for (const r of answer.rows) {
    const i = index.get(r.start);
    if (i === undefined) continue;
    (series.get(r.sku) ?? series.get('other'))[i] += Number(r.amount);
  }
  const datasets = [...series].map(([sku, data], i) => ({
    label: sku === 'other' ? `${ranked.length - own.length} other SKUs` : sku,
    data,
    backgroundColor: sku === 'other' ? OTHER : PALETTE[i % PALETTE.length],
    borderWidth: 0,
    barPercentage: 1,
    categoryPercentage: granularity === 'hour' ? 1 : 0.8,
  }));
  return draw(canvas, {
    type: 'bar',
    data: { labels: starts.map((s) => bucketLabel(s, granularity)), datasets },
    options: {
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 24 } },
        y: {
          stacked: true,
          border: { display: false },
          grid: { color: '#eceef0' },
          ticks: { callback: (v) => compactMoney(v) },
        },
      },
      plugins: {
        legend: {
          position: 'bottom',
          labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true, pointStyle: 'rectRounded' },
        },
        tooltip: {
          filter: (item) => item.raw > 0,
          itemSort: (a, b) => b.raw - a.raw,
          callbacks: { label: (item) => ` ${item.dataset.label}: ${moneyOf(item.raw.toFixed(2))}` },
        },
      },
    },
  });
}

/** Share of cost per continent; a click on a slice calls onPick(continent code). */
export function drawContinents(canvas, continents, onPick) {
  return draw(canvas, {
    type: 'doughnut',
    data: {
      labels: continents.map((c) => c.name),
      datasets: [
        {
          data: continents.map((c) => Number(c.cents) / 100),
          backgroundColor: continents.map((c) => c.color),
          borderWidth: 2,
          borderColor: '#fff',
        },
      ],
    },
    options: {
      cutout: '62%',
      onClick: (_, elements) => elements[0] && onPick(continents[elements[0].index].code),
      onHover: (e, elements) => (e.native.target.style.cursor = elements.length ? 'pointer' : 'default'),
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => ` ${item.label}: ${moneyOf(Number(item.raw).toFixed(2))}` } },
      },
    },
  });
}
