import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readTrimmed, sleep } from './base.mjs';

// ---------------------------------------------------------------------------
// processes

/** Alive and not a zombie. */
export function isAlive(pid) {
  if (!pid || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code === 'EPERM') return true; // exists, owned by someone else
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." -- state after the last ')'
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc (macOS): trust kill(0) */
  }
  return true;
}

/** Full command line of a process, '' if unknown. */
export function processCmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    const r = spawnSync('ps', ['-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : '';
  }
}

/** [{pid, cmd}] of every process whose command line contains all `needles`. */
export function findProcesses(...needles) {
  const out = [];
  if (fs.existsSync('/proc/self/cmdline')) {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (pid === process.pid) continue;
      let cmd;
      try {
        cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      if (needles.every((n) => cmd.includes(n)) && isAlive(pid)) out.push({ pid, cmd });
    }
  } else {
    const r = spawnSync('ps', ['-axww', '-o', 'pid=,command='], { encoding: 'utf8' });
    for (const line of (r.stdout || '').split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (!m || Number(m[1]) === process.pid) continue;
      if (needles.every((n) => m[2].includes(n))) out.push({ pid: Number(m[1]), cmd: m[2] });
    }
  }
  return out;
}

/** The pid in the pid file if that process is alive and is a Kafka broker, else null. */
export function brokerPidFromFile(paths) {
  const pid = Number(readTrimmed(paths.pidFile));
  if (!pid || !isAlive(pid)) return null;
  const cmd = processCmdline(pid);
  if (cmd && !cmd.includes('kafka.Kafka')) return null; // pid reused by something else
  return pid;
}

/** Brokers started by this stack: the pid file's, plus any kafka.Kafka running on our rendered properties. */
export function stackBrokerPids(paths) {
  const pids = new Set();
  const fromFile = brokerPidFromFile(paths);
  if (fromFile) pids.add(fromFile);
  for (const p of findProcesses('kafka.Kafka', paths.serverProps)) pids.add(p.pid);
  return [...pids];
}

/** SIGTERM, wait up to timeoutMs, then SIGKILL. Resolves to 'exited' | 'killed' | 'gone'. */
export async function terminate(pid, timeoutMs = 30000) {
  if (!isAlive(pid)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'exited';
    await sleep(200);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* raced */
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

/**
 * Cross-process lock on METERING_HOME (two `npm run stack` at once would start two brokers).
 * Returns a release function. Stale locks (dead pid) are taken over.
 */
export async function acquireLock(lockFile, { timeoutMs = 10 * 60 * 1000, onWait } = {}) {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(readTrimmed(lockFile));
      if (!holder || !isAlive(holder) || holder === process.pid) {
        try {
          fs.unlinkSync(lockFile);
        } catch {
          /* someone else took it over */
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockFile} is held by pid ${holder}`, { cause: e });
      if (!told && onWait) onWait(holder);
      told = true;
      await sleep(500);
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      if (Number(readTrimmed(lockFile)) === process.pid) fs.unlinkSync(lockFile);
    } catch {
      /* already gone */
    }
  };
  process.once('exit', release);
  return release;
}
