// Spend alerts: a billing member (or an admin, or the operator) lists, creates and removes the
// organization's alerts. The secret that signs an alert's webhooks is shown once, on creation.
import { ApiError } from './api.js';
import { el } from './panels.js';

const MAY_MANAGE = new Set(['billing', 'admin', 'operator']);

async function send(session, method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${session.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The API cannot be reached. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) {
    const faults = (answer.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
    throw new ApiError(res.status, faults ? `${answer.detail} (${faults})` : (answer.detail ?? res.statusText));
  }
  return answer;
}

function scopeOf(a) {
  const parts = [a.app ? `app ${a.app}` : null, a.sku_prefix ? `SKUs ${a.sku_prefix}*` : null].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'all spend';
}

function deliveryOf(a) {
  const d = a.last_delivery;
  if (!d) return a.webhook_url ? '—' : 'no webhook';
  const last = d.last_status ? ` (last answer ${d.last_status})` : d.last_error ? ` (${d.last_error})` : '';
  return `${d.status}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}${last}`;
}

/** Draws the alerts card into `root` for `session` ({ token, org, role }); redraws itself after each change. */
export async function renderAlerts(root, session) {
  root.replaceChildren();
  if (!MAY_MANAGE.has(session.role)) {
    root.hidden = true;
    return;
  }
  root.hidden = false;
  const base = `/v1/orgs/${encodeURIComponent(session.org)}/alerts`;
  const message = el('p', { class: 'muted', role: 'status', id: 'alerts-message' });
  const body = el('tbody', { id: 'alerts-body' });
  const field = (name, label, attrs = {}) =>
    el('label', {}, label, el('input', { name, type: 'text', spellcheck: 'false', ...attrs }));
  const form = el(
    'form',
    { id: 'alert-form', class: 'alert-form', autocomplete: 'off' },
    field('name', 'Name', { required: true, placeholder: 'GPU budget' }),
    field('threshold', 'Threshold (USD)', { required: true, placeholder: '250.00', inputmode: 'decimal' }),
    field('app', 'App (optional)', { placeholder: 'ml' }),
    field('sku_prefix', 'SKU prefix (optional)', { placeholder: 'gpu.runtime/' }),
    field('webhook_url', 'Webhook URL (optional)', { placeholder: 'https://hooks.example.com/metering' }),
    el('button', { type: 'submit' }, 'Create alert'),
  );
  root.append(
    el('h2', {}, 'Spend alerts'),
    el(
      'table',
      { class: 'resources alerts' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Name', 'Threshold', 'Watches', 'Last fired', 'Webhook', ''].map((h) => el('th', {}, h)),
        ),
      ),
      body,
    ),
    form,
    message,
  );
  const say = (text, isError = false) => {
    message.textContent = text;
    message.className = isError ? 'error' : 'muted';
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = (name) => form.elements.namedItem(name).value.trim();
    const alert = { name: value('name'), threshold: value('threshold') };
    for (const k of ['app', 'sku_prefix', 'webhook_url']) if (value(k)) alert[k] = value(k);
    try {
      const created = await send(session, 'POST', base, alert);
      form.reset();
      await draw();
      say(`Created "${created.name}". Its webhook signing secret, shown only now: ${created.secret}`);
    } catch (err) {
      say(err.message, true);
    }
  });
  async function draw() {
    try {
      const alerts = await send(session, 'GET', base);
      body.replaceChildren(
        ...(alerts.length === 0
          ? [el('tr', {}, el('td', { colspan: '6', class: 'muted' }, 'No alerts yet.'))]
          : alerts.map((a) =>
              el(
                'tr',
                { dataset: { alert: a.id } },
                el('td', {}, a.name),
                el('td', { class: 'amount' }, `$${a.threshold}`),
                el('td', {}, scopeOf(a)),
                el('td', {}, a.last_fired_period ?? 'not yet'),
                el('td', {}, deliveryOf(a)),
                el(
                  'td',
                  {},
                  el(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      onclick: async () => {
                        try {
                          await send(session, 'DELETE', `${base}/${encodeURIComponent(a.id)}`);
                          await draw();
                          say(`Removed "${a.name}".`);
                        } catch (err) {
                          say(err.message, true);
                        }
                      },
                    },
                    'Remove',
                  ),
                ),
              ),
            )),
      );
    } catch (err) {
      say(err.message, true);
    }
  }
  await draw();
}
