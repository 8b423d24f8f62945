import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';

/** The dashboard's files are kept in the repository beside the sources, run from there or from dist/. */
export function dashboardDir(): string {
  const candidates = [
    join(__dirname, '..', 'dashboard'),
    join(__dirname, '..', '..', '..', '..', 'apps', 'api', 'dashboard'),
  ];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`dashboard files not found (looked in ${candidates.join(', ')})`);
  return found;
}

// The page holds a bearer token (in sessionStorage): nothing but its own files may run in it.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function headers(res: Response): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // Small files: revalidate each load (ETag), so a new release is seen at once.
  res.setHeader('Cache-Control', 'no-cache');
}

const PAGE = /^\/(?:index\.html|style\.css|js\/[a-z-]+\.js)?$/;
const CHART_JS = '/vendor/chartjs/chart.umd.min.js';

/**
 * The customer dashboard at `/`: static files, public like /docs (they hold no data); every
 * data call the page makes carries the signed-in member's token. Chart.js is served from
 * node_modules, its version pinned in package.json.
 */
export function mountDashboard(app: NestExpressApplication): void {
  const files = express.static(dashboardDir(), { index: 'index.html', setHeaders: headers });
  const chartJs = express.static(dirname(require.resolve('chart.js')), { index: false, setHeaders: headers });
  // Only the dashboard's own paths reach the file system: a static handler on every path
  // would look for a file on disk before each API request (a third of a cached answer's time).
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (PAGE.test(req.path)) return files(req, res, next);
    if (req.path === CHART_JS) {
      req.url = '/chart.umd.min.js';
      return chartJs(req, res, next);
    }
    next();
  });
}
