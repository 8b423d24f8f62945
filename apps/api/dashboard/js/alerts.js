// Spend alerts of the organization, for a billing member. A placeholder until the alerts
// endpoints exist: the billing panel calls renderAlerts with the element they go into.
import { el } from './panels.js';

export function renderAlerts(container) {
  container.replaceChildren(el('p', { class: 'empty-state' }, 'Spend alerts will appear here.'));
}
