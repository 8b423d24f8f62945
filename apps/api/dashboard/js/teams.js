// "Cost by team": the period's cost grouped by the apps' `team` label (a view over all usage:
// relabelling an app moves its past cost too). Apps without the label are one row, "no team".
import { cents, moneyOf, share } from './format.js';
import { el, empty } from './panels.js';

export const TEAM = 'label:team';

/** The costs query of the panel: the period's total per team, under the dashboard's filters. */
export const teamsQuery = (base, filterParams) => ({ ...base, granularity: 'total', group_by: TEAM, ...filterParams });

export function renderTeams(container, answer) {
  const rows = answer.rows.filter((r) => cents(r.amount) !== 0n);
  if (rows.length === 0) return empty(container, 'No cost for this period.');
  const sorted = [...rows].sort((a, b) => Number(cents(b.amount) - cents(a.amount)) || a[TEAM].localeCompare(b[TEAM]));
  const max = cents(sorted[0].amount);
  const total = cents(answer.total);
  container.replaceChildren(
    ...sorted.map((r) => {
      const pct = max > 0n ? Number((cents(r.amount) * 1000n) / max) / 10 : 0;
      return el(
        'div',
        { class: 'row team', dataset: { team: r[TEAM], amount: r.amount } },
        el('span', { class: 'name' }, r[TEAM] === '' ? el('em', { class: 'muted' }, 'no team') : r[TEAM]),
        el('span', { class: 'bar', 'aria-hidden': 'true' }, el('span', { class: 'fill', style: { width: `${pct}%` } })),
        el('span', { class: 'share muted' }, share(cents(r.amount), total)),
        el('span', { class: 'amount' }, moneyOf(r.amount)),
      );
    }),
  );
}
