// The API, as the signed-in member calls it. The token lives in sessionStorage: it goes when
// the tab closes, and no other site can read it (the page runs only its own scripts).

const KEY = 'metering.session';

export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return s && typeof s.token === 'string' && typeof s.org === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function problem(res) {
  try {
    const p = await res.json();
    const faults = (p.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
    return faults ? `${p.detail} (${faults})` : (p.detail ?? res.statusText);
  } catch {
    return res.statusText || `HTTP ${res.status}`;
  }
}

/** GET with the token; JSON by default, a Blob for `as: 'blob'`. Throws ApiError on any non-2xx. */
export async function get(token, path, { as = 'json', signal } = {}) {
  let res;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The API cannot be reached. Check your connection and try again.');
  }
  if (!res.ok) throw new ApiError(res.status, await problem(res));
  return as === 'blob' ? res.blob() : res.json();
}

/** Query string from a flat object; arrays become repeated parameters; empty values are left out. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const one of Array.isArray(v) ? v : [v])
      if (one !== undefined && one !== null && one !== '') q.append(k, String(one));
  }
  return q.toString();
}
