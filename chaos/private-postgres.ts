import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../bench/ports';

/**
 * A PostgreSQL server of the scenario's own (initdb into the OS temp dir, trust auth, a free
 * port on 127.0.0.1) that it may crash and restart: chaos must never touch the shared server
 * other tests and services run against. Uses the binaries of the installed server.
 */
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database: string): string;
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate`: every backend dies at once, as in a crash; the next start replays the WAL. */
  crash(): Promise<void>;
  /** A clean, fast shutdown. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
  logTail(): string;
}

function binDir(): string {
  if (process.env['PG_BIN']) return process.env['PG_BIN'];
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql; set PG_BIN');
  return join(base, versions.sort((a, b) => Number(b) - Number(a))[0]!, 'bin');
}

/** initdb and postgres refuse to run as root: run them as the `postgres` user then. */
function asServerUser(cmd: string, args: string[]): { cmd: string; args: string[] } {
  return process.getuid?.() === 0 ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args };
}

function run(cmd: string, args: string[], what: string): void {
  const c = asServerUser(cmd, args);
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stdout}${r.stderr}`);
}

export async function createPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'metering-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'],
    'initdb',
  );
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=200`;
  const pgCtl = (args: string[], what: string) => run(join(bin, 'pg_ctl'), ['-D', data, ...args], what);
  let running = false;
  const killOnExit = () => {
    if (!running) return;
    const c = asServerUser(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    spawnSync(c.cmd, c.args);
  };
  process.once('exit', killOnExit);
  const server: PrivatePostgres = {
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    logTail: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-30).join('\n') : ''),
    async start() {
      pgCtl(['-l', log, '-o', options, '-w', '-t', '60', 'start'], 'starting the private postgres');
      running = true;
    },
    async crash() {
      pgCtl(['-m', 'immediate', '-w', 'stop'], 'crashing the private postgres');
      running = false;
    },
    async stop() {
      pgCtl(['-m', 'fast', '-w', 'stop'], 'stopping the private postgres');
      running = false;
    },
    async destroy() {
      if (running) await server.stop().catch(() => server.crash());
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
