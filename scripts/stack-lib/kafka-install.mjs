import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_KAFKA_BROKERS,
  POM_FILE,
  REPO_ROOT,
  SERVER_PROPERTIES_TEMPLATE,
  parseBrokers,
  readTrimmed,
  splitHostPort,
  stackPaths,
  which,
} from './base.mjs';

// ---------------------------------------------------------------------------
// Kafka: jars

/** Hash of pom.xml without comments and whitespace: editing a comment does not re-download. */
function pomHash() {
  const pom = fs
    .readFileSync(POM_FILE, 'utf8')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s+/g, '');
  return createHash('sha256').update(pom).digest('hex');
}

/** True when the libs dir holds a complete download for the current pom.xml. */
export function kafkaJarsComplete(paths = stackPaths()) {
  let marker;
  try {
    marker = JSON.parse(fs.readFileSync(paths.libsMarker, 'utf8'));
  } catch {
    return false;
  }
  if (
    marker.pomSha256 !== pomHash() ||
    marker.kafkaVersion !== paths.kafkaVersion ||
    !Array.isArray(marker.jars) ||
    marker.jars.length === 0
  )
    return false;
  return marker.jars.every((j) => fs.existsSync(path.join(paths.libs, j)));
}

/**
 * Make sure the broker's jars are in paths.libs (Maven download on first use only).
 * Returns { downloaded: boolean, jars: number }. Throws (with .logFile) on failure.
 */
export function ensureKafkaJars(paths = stackPaths()) {
  if (kafkaJarsComplete(paths)) {
    const n = JSON.parse(fs.readFileSync(paths.libsMarker, 'utf8')).jars.length;
    return { downloaded: false, jars: n };
  }
  const mvn = process.env.MVN || 'mvn';
  if (!which(mvn)) {
    const err = new Error(
      `Maven ("${mvn}") not found: it downloads the Kafka jars once. Install Maven, or set MVN, ` +
        `or run Kafka yourself (docker compose up -d) and re-run.`,
    );
    throw err;
  }
  fs.mkdirSync(paths.logs, { recursive: true });
  const partial = `${paths.libs}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  const args = [
    '-B',
    '--no-transfer-progress',
    '-Dstyle.color=never',
    '-f',
    POM_FILE,
    'dependency:copy-dependencies',
    `-Dkafka.version=${paths.kafkaVersion}`,
    `-DoutputDirectory=${partial}`,
    '-DincludeScope=runtime',
    '-DexcludeTransitive=false',
  ];
  const logFd = fs.openSync(paths.mavenLog, 'w');
  fs.writeSync(logFd, `$ ${mvn} ${args.join(' ')}\n`);
  const r = spawnSync(mvn, args, { stdio: ['ignore', logFd, logFd], cwd: REPO_ROOT });
  fs.closeSync(logFd);
  if (r.status !== 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    const err = new Error(`maven exited with ${r.status ?? r.signal ?? r.error?.message}`);
    err.logFile = paths.mavenLog;
    throw err;
  }
  const jars = fs
    .readdirSync(partial)
    .filter((f) => f.endsWith('.jar'))
    .sort();
  const bindings = jars.filter((j) =>
    /^(slf4j-(reload4j|log4j12|simple|jdk14|nop)|logback-classic|log4j-slf4j2?-impl)-/.test(j),
  );
  if (!jars.some((j) => j.startsWith(`kafka_2.13-${paths.kafkaVersion}`)) || bindings.length !== 1) {
    const err = new Error(
      `unexpected download in ${partial}: ${jars.length} jars, SLF4J bindings: ${bindings.join(', ') || 'none'}`,
    );
    err.logFile = paths.mavenLog;
    throw err;
  }
  fs.writeFileSync(
    path.join(partial, '.complete.json'),
    JSON.stringify({ kafkaVersion: paths.kafkaVersion, pomSha256: pomHash(), jars }, null, 2) + '\n',
  );
  fs.rmSync(paths.libs, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(paths.libs), { recursive: true });
  fs.renameSync(partial, paths.libs);
  return { downloaded: true, jars: jars.length };
}

/** `java` to run: $JAVA_HOME/bin/java if set, else from PATH. */
export function javaCommand() {
  if (process.env.JAVA_HOME) {
    const j = path.join(process.env.JAVA_HOME, 'bin', 'java');
    if (fs.existsSync(j)) return j;
  }
  return 'java';
}

/** Throws a readable error when java cannot run; returns its version line. */
export function checkJava() {
  const java = javaCommand();
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `cannot run "${java}" (${r.error?.code || `exit ${r.status}`}): the broker needs Java 17+ on PATH or in JAVA_HOME`,
    );
  }
  return (r.stderr || r.stdout || '').split('\n')[0].trim();
}

/** Classpath argument for java: '<libs>/*' (java expands the wildcard itself). */
export function kafkaClasspath(paths = stackPaths()) {
  return `${paths.libs}${path.sep}*`;
}

// ---------------------------------------------------------------------------
// Kafka: broker config, format, start

/** Kafka's Uuid string form: base64url of 16 random bytes, no padding, not starting with '-'. */
export function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function readMetaProperties(dataDir) {
  const text = readTrimmed(path.join(dataDir, 'meta.properties'));
  if (text == null) return null;
  const props = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (m) props[m[1]] = m[2].trim();
  }
  return props;
}

export function renderServerProperties(paths, env = process.env) {
  const first = splitHostPort(parseBrokers(env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS)[0]);
  const controllerPort = Number(env.KAFKA_CONTROLLER_PORT || 9093);
  const text = fillTemplate(SERVER_PROPERTIES_TEMPLATE, {
    KAFKA_HOST: first.host,
    KAFKA_PORT: String(first.port),
    CONTROLLER_PORT: String(controllerPort),
    LOG_DIRS: paths.dataDir,
  });
  writeGeneratedProperties(paths, text);
  return { host: first.host, port: first.port, controllerPort };
}

/** A template's {{PLACEHOLDERS}} filled from `values`; comment lines are copied as they are (they document them). */
export function fillTemplate(file, values) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) =>
      /^\s*#/.test(line)
        ? line
        : line.replace(/\{\{([A-Z_]+)\}\}/g, (m, k) => {
            if (!(k in values)) throw new Error(`unknown placeholder ${m} in ${file}`);
            return values[k];
          }),
    )
    .join('\n');
}

/** paths.serverProps, with a header saying where it comes from. */
export function writeGeneratedProperties(paths, text) {
  const header = `# GENERATED from stack/server.properties by scripts/stack.mjs -- edit the template, not this file.\n`;
  fs.mkdirSync(path.dirname(paths.serverProps), { recursive: true });
  fs.writeFileSync(paths.serverProps, header + text);
}

export function renderLog4jProperties(paths) {
  // Broker stdout/stderr go to logs/kafka.log (WARN and up only, plus JVM crashes);
  // the full INFO log goes to logs/server.log, controller/state-change/cleaner logs next to it.
  const text = `# GENERATED by scripts/stack.mjs: log4j (reload4j) config of the local Kafka broker.
# \${kafka.logs.dir} is set with -Dkafka.logs.dir on the java command line.
log4j.rootLogger=INFO, stdout, kafkaAppender

log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.Threshold=WARN
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.kafkaAppender=org.apache.log4j.RollingFileAppender
log4j.appender.kafkaAppender.File=\${kafka.logs.dir}/server.log
log4j.appender.kafkaAppender.MaxFileSize=50MB
log4j.appender.kafkaAppender.MaxBackupIndex=3
log4j.appender.kafkaAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.stateChangeAppender=org.apache.log4j.RollingFileAppender
log4j.appender.stateChangeAppender.File=\${kafka.logs.dir}/state-change.log
log4j.appender.stateChangeAppender.MaxFileSize=20MB
log4j.appender.stateChangeAppender.MaxBackupIndex=2
log4j.appender.stateChangeAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.stateChangeAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.controllerAppender=org.apache.log4j.RollingFileAppender
log4j.appender.controllerAppender.File=\${kafka.logs.dir}/controller.log
log4j.appender.controllerAppender.MaxFileSize=20MB
log4j.appender.controllerAppender.MaxBackupIndex=2
log4j.appender.controllerAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.controllerAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.appender.cleanerAppender=org.apache.log4j.RollingFileAppender
log4j.appender.cleanerAppender.File=\${kafka.logs.dir}/log-cleaner.log
log4j.appender.cleanerAppender.MaxFileSize=20MB
log4j.appender.cleanerAppender.MaxBackupIndex=2
log4j.appender.cleanerAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.cleanerAppender.layout.ConversionPattern=[%d] %p %m (%c)%n

log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN

log4j.logger.org.apache.kafka.controller=INFO, controllerAppender
log4j.additivity.org.apache.kafka.controller=false
log4j.logger.kafka.controller=INFO, controllerAppender
log4j.additivity.kafka.controller=false

log4j.logger.kafka.log.LogCleaner=INFO, cleanerAppender
log4j.additivity.kafka.log.LogCleaner=false

log4j.logger.state.change.logger=INFO, stateChangeAppender
log4j.additivity.state.change.logger=false
`;
  fs.mkdirSync(path.dirname(paths.log4jProps), { recursive: true });
  fs.writeFileSync(paths.log4jProps, text);
}

/**
 * Format the KRaft data dir once (when it has no meta.properties).
 * Returns { formatted: boolean, clusterId }. `extraArgs` go to StorageTool format (--add-scram, say).
 */
export function ensureFormatted(paths = stackPaths(), extraArgs = []) {
  const meta = readMetaProperties(paths.dataDir);
  if (meta && meta['cluster.id']) {
    if (readTrimmed(paths.clusterIdFile) !== meta['cluster.id']) {
      fs.writeFileSync(paths.clusterIdFile, meta['cluster.id'] + '\n');
    }
    return { formatted: false, clusterId: meta['cluster.id'] };
  }
  let clusterId = readTrimmed(paths.clusterIdFile);
  if (!clusterId) {
    clusterId = randomClusterId();
    fs.writeFileSync(paths.clusterIdFile, clusterId + '\n');
  }
  fs.mkdirSync(paths.dataDir, { recursive: true });
  const args = [
    `-Dlog4j.configuration=${pathToFileURL(paths.log4jProps).href}`,
    `-Dkafka.logs.dir=${paths.logs}`,
    '-cp',
    kafkaClasspath(paths),
    'kafka.tools.StorageTool',
    'format',
    '--ignore-formatted',
    '-t',
    clusterId,
    '-c',
    paths.serverProps,
    ...extraArgs,
  ];
  const r = spawnSync(javaCommand(), args, { encoding: 'utf8' });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  fs.appendFileSync(paths.kafkaLog, `\n=== ${new Date().toISOString()} kafka.tools.StorageTool format ===\n${out}`);
  if (r.status !== 0) {
    const err = new Error(
      `StorageTool format failed (${r.status ?? r.error?.message}): ${out.trim().split('\n').pop()}`,
    );
    err.logFile = paths.kafkaLog;
    throw err;
  }
  return { formatted: true, clusterId };
}

/**
 * Start the broker detached; stdout/stderr appended to paths.kafkaLog; pid written to paths.pidFile.
 * Returns the ChildProcess (already unref'd; its 'exit' event still fires while we run).
 */
export function spawnBroker(paths = stackPaths(), env = process.env) {
  fs.mkdirSync(paths.logs, { recursive: true });
  // keep kafka.log from growing forever: roll it at 20 MB
  try {
    if (fs.statSync(paths.kafkaLog).size > 20 * 1024 * 1024) fs.renameSync(paths.kafkaLog, `${paths.kafkaLog}.1`);
  } catch {
    /* no log yet */
  }
  const heap = (env.KAFKA_HEAP_OPTS || '-Xms512m -Xmx1g').split(/\s+/).filter(Boolean);
  const args = [
    ...heap,
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=${pathToFileURL(paths.log4jProps).href}`,
    `-Dkafka.logs.dir=${paths.logs}`,
    '-cp',
    kafkaClasspath(paths),
    'kafka.Kafka',
    paths.serverProps,
  ];
  const logFd = fs.openSync(paths.kafkaLog, 'a');
  fs.writeSync(logFd, `\n=== ${new Date().toISOString()} starting: ${javaCommand()} ${args.join(' ')}\n`);
  const child = spawn(javaCommand(), args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    cwd: paths.home,
  });
  fs.closeSync(logFd);
  child.unref();
  if (child.pid) fs.writeFileSync(paths.pidFile, `${child.pid}\n`);
  return child;
}
