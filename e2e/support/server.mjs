// Starts the real `sensate` binary for a browser test: its own data directory, its own
// database (a SQLite file, or a fresh PostgreSQL database), a free port on 127.0.0.1.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';

export { extractLink, readOutbox, waitForMail } from './mail.mjs';

const execFileAsync = promisify(execFile);

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const MAX_LOG_BYTES = 4 * 1024 * 1024;

/** The PostgreSQL server the tests may create databases on (same variable as the Rust tests). */
export function postgresAdminUrl() {
  return process.env.SENSATE_TEST_POSTGRES_URL || DEFAULT_POSTGRES_URL;
}

function truthy(value) {
  return value === '1' || value === 'true';
}

/**
 * True when a developer asked to skip PostgreSQL (SENSATE_TEST_SKIP_POSTGRES=1) outside CI;
 * the same escape, and the same refusal under CI=true, as the Rust tests.
 */
export function skipPostgres() {
  const asked = process.env.SENSATE_TEST_SKIP_POSTGRES === '1';
  if (asked && truthy(process.env.CI)) {
    throw new Error('SENSATE_TEST_SKIP_POSTGRES=1 is refused when CI=true: CI must test both engines');
  }
  return asked;
}

/** The binary under test: SENSATE_BIN, which must exist and be executable. */
export function sensateBin() {
  const bin = process.env.SENSATE_BIN;
  if (!bin) {
    throw new Error(
      'SENSATE_BIN is not set. The browser tests run the real server: build it with ' +
        '`cargo build -p sensate` and run `SENSATE_BIN=$PWD/target/debug/sensate node --test --test-concurrency=1 e2e/tests/`, ' +
        'or simply run `scripts/test`, which does both.',
    );
  }
  const path = isAbsolute(bin) ? bin : resolve(bin);
  try {
    accessSync(path, fsConstants.X_OK);
  } catch {
    throw new Error(`SENSATE_BIN=${bin} is not an executable file (build it with \`cargo build -p sensate\`).`);
  }
  return path;
}

// --- PostgreSQL -------------------------------------------------------------------------------

/** The admin URL with its database name replaced (query parameters kept). */
export function urlForDatabase(adminUrl, name) {
  const schemeEnd = adminUrl.indexOf('://');
  const scheme = schemeEnd >= 0 ? adminUrl.slice(0, schemeEnd) : 'postgres';
  const rest = schemeEnd >= 0 ? adminUrl.slice(schemeEnd + 3) : adminUrl;
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const pathAndQuery = slash >= 0 ? rest.slice(slash + 1) : '';
  const question = pathAndQuery.indexOf('?');
  const query = question >= 0 ? pathAndQuery.slice(question) : '';
  return `${scheme}://${authority}/${name}${query}`;
}

function psqlArgs(sql) {
  return [postgresAdminUrl(), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql];
}

async function psql(sql) {
  try {
    await execFileAsync('psql', psqlArgs(sql), { timeout: 30_000 });
  } catch (error) {
    throw new Error(`psql failed (${sql}): ${error.stderr || error.message}`, { cause: error });
  }
}

// Names are made here from hex only, so they need no quoting; checked all the same.
function assertSafeName(name) {
  if (!/^sensate_e2e_[0-9a-f]+$/.test(name)) throw new Error(`unexpected database name ${name}`);
}

async function createDatabase() {
  const name = `sensate_e2e_${randomBytes(6).toString('hex')}`;
  assertSafeName(name);
  await psql(`CREATE DATABASE ${name}`);
  return name;
}

async function dropDatabase(name) {
  assertSafeName(name);
  await psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

// --- Ports, readiness -------------------------------------------------------------------------

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntilReady(baseUrl, child, logs) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ServerExitedError(
        `sensate exited (${child.exitCode ?? child.signalCode}) before it was ready; its output:\n${logs()}`,
        logs(),
      );
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      lastProblem = `GET /readyz answered ${response.status}`;
    } catch (error) {
      lastProblem = `GET /readyz: ${error.cause?.code ?? error.message}`;
    }
    await sleep(150);
  }
  throw new Error(
    `sensate was not ready within ${READY_TIMEOUT_MS / 1000} s (${lastProblem}); its output:\n${logs()}`,
  );
}

class ServerExitedError extends Error {
  constructor(message, output) {
    super(message);
    this.output = output;
  }
}

// --- Cleanup when the test process ends abruptly ---------------------------------------------

const running = new Set();

// A test file that crashes or is interrupted must not leave servers or databases behind
// (scripts/test also drops leftover sensate_e2e_* databases before a run).
function cleanUpSynchronously() {
  for (const server of running) {
    try {
      server.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    if (server.database) {
      try {
        execFileSync('psql', psqlArgs(`DROP DATABASE IF EXISTS ${server.database} WITH (FORCE)`), {
          stdio: 'ignore',
          timeout: 10_000,
        });
      } catch {
        // scripts/test drops it next time
      }
    }
    try {
      rmSync(server.dataDir, { recursive: true, force: true });
    } catch {
      // a temporary directory; the OS cleans it eventually
    }
  }
  running.clear();
}
process.once('exit', cleanUpSynchronously);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    cleanUpSynchronously();
    process.exit(130);
  });
}

// --- The server -------------------------------------------------------------------------------

/**
 * Starts `$SENSATE_BIN serve` on a free port with a fresh data directory and database.
 *
 * engine: 'sqlite' | 'postgres'; env: extra environment variables for the server;
 * args: extra arguments after `serve …`, e.g. ['--demo']; host: the host name of baseUrl and
 * SENSATE_PUBLIC_URL (default 127.0.0.1; 'localhost' for passkeys, which need a host name).
 * Returns { baseUrl, dataDir, databaseUrl, engine, logs(), stop() }.
 */
export async function startServer({ engine = 'sqlite', env = {}, args = [], host = '127.0.0.1' } = {}) {
  if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`unknown engine ${engine}`);
  const bin = sensateBin();
  const dataDir = await mkdtemp(join(tmpdir(), `sensate-e2e-${engine}-`));
  let database;
  try {
    let databaseUrl;
    if (engine === 'postgres') {
      database = await createDatabase();
      databaseUrl = urlForDatabase(postgresAdminUrl(), database);
    } else {
      databaseUrl = `sqlite://${dataDir}/sensate.db`;
    }

    // The port is free when probed but could be taken before the server binds it; such a
    // start is retried on another port.
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      try {
        return await spawnServer({ bin, engine, port, dataDir, database, databaseUrl, env, extraArgs: args, host });
      } catch (error) {
        const portTaken = error instanceof ServerExitedError && /address already in use|AddrInUse/i.test(error.output);
        if (!portTaken || attempt >= 3) throw error;
      }
    }
  } catch (error) {
    if (database) await dropDatabase(database).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * This process's environment without any SENSATE_* setting (SENSATE_SMTP_HOST, SENSATE_CONFIG,
 * SENSATE_MASTER_KEY, …): a developer's own configuration must not reach the server under test,
 * which gets only what startServer gives it.
 */
function serverEnvironment() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SENSATE_')));
}

async function spawnServer({ bin, engine, port, dataDir, database, databaseUrl, env, extraArgs = [], host }) {
  const baseUrl = `http://${host}:${port}`;
  const args = [
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--data-dir',
    dataDir,
    '--database-url',
    databaseUrl,
    ...extraArgs,
  ];
  const child = spawn(bin, args, {
    // Run in the data directory, so a developer's ./sensate.toml is not read.
    cwd: dataDir,
    env: { ...serverEnvironment(), SENSATE_PUBLIC_URL: baseUrl, RUST_LOG: 'info', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  // stdout and stderr interleaved as they arrive; the oldest output is dropped past a cap.
  const chunks = [];
  let size = 0;
  const collect = (chunk) => {
    chunks.push(chunk);
    size += chunk.length;
    while (size > MAX_LOG_BYTES && chunks.length > 1) size -= chunks.shift().length;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const logs = () => Buffer.concat(chunks).toString('utf8');
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  const spawnFailed = new Promise((_, reject) => child.once('error', reject));

  const server = { child, dataDir, database };
  running.add(server);
  try {
    // Asked by address: Node may resolve localhost to ::1, where the server does not listen.
    await Promise.race([waitUntilReady(`http://127.0.0.1:${port}`, child, logs), spawnFailed]);
  } catch (error) {
    child.kill('SIGKILL');
    // A process that never started emits no 'exit'; do not wait for one for ever.
    await Promise.race([exited, sleep(5_000)]);
    running.delete(server);
    throw error;
  }

  let stopped = false;
  return {
    baseUrl,
    dataDir,
    databaseUrl,
    engine,
    logs,
    /** Stops the server (SIGTERM, then SIGKILL after a grace period) and removes its data. */
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      running.delete(server);
      if (database) await dropDatabase(database);
      if (process.env.SENSATE_E2E_KEEP_DATA === '1') {
        console.log(`SENSATE_E2E_KEEP_DATA=1: kept ${dataDir}`);
      } else {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
