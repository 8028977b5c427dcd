// deploy/: what an operator installs next to a node must match what the node
// exports. Every chaff_* metric (and label) the Grafana dashboard and the
// Prometheus alert rules name exists in the metrics registry of a running
// mix, gateway or authority; every reason value they match on is one the
// code counts; the rules file parses as Prometheus rule groups; and the
// systemd unit passes `systemd-analyze verify` where systemd is installed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { configFromObject, type NodeRole } from '../../../node/config.js';
import { runNode } from '../../../node/daemon.js';
import { toHex } from '../../../protocol/bytes.js';
import { silentLogger } from '../../../runtime/log/logger.js';
import { loadOrCreateIdentity } from '../../../runtime/net/identity.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');

/** Metric name → its label names, over the three roles, from each role's registry. */
async function exportedMetrics(): Promise<Map<string, string[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'chaff-deploy-'));
  const metrics = new Map<string, string[]>();
  try {
    const authority = await loadOrCreateIdentity(join(dir, 'authority'));
    for (const role of ['authority', 'mix', 'gateway'] as NodeRole[]) {
      const config = configFromObject(
        {
          node: { name: `${role}-1`, role, data_dir: role, listen: ['/ip4/127.0.0.1/tcp/0'] },
          authorities: [{ name: 'authority-1', identity: toHex(authority.publicKey), addresses: ['/ip4/127.0.0.1/tcp/1'] }],
        },
        dir,
      );
      const node = await runNode(config, silentLogger);
      try {
        for (const m of node.metrics.registry.getMetricsAsArray()) metrics.set(m.name, [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])]);
      } finally {
        await node.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return metrics;
}

/** The string literals and object keys of the node's sources (reason and outcome values are one or the other where they are counted). */
function literalsIn(...dirs: string[]): Set<string> {
  const out = new Set<string>();
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const p = join(path, name);
      if (statSync(p).isDirectory()) walk(p);
      // Quoted ('replay-store-error') or an object key ({ sent: …, returned: … }).
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/'([a-z][a-z0-9-]*)'|[{,]\s*([a-z][a-zA-Z0-9]*):/g)) out.add(m[1] ?? m[2]);
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return out;
}

interface Selector {
  metric: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

/** chaff_* metric selectors in a PromQL expression, with their label matchers. */
function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  for (const m of expr.matchAll(/\b(chaff_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
    const matchers = [...(m[3] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(([, label, op, value]) => ({ label, op, value }));
    out.push({ metric: m[1], matchers });
  }
  return out;
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana-dashboard.json'), 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ definition?: string }> };
  };
  return [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : []))];
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description?: string };
}

function alertRules(): Rule[] {
  const doc = parseYaml(readFileSync(join(DEPLOY, 'prometheus-alerts.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
  assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0, 'groups');
  return doc.groups.flatMap((g) => {
    assert.equal(typeof g.name, 'string');
    assert.ok(Array.isArray(g.rules) && g.rules.length > 0, `${g.name}: rules`);
    return g.rules;
  });
}

describe('deploy/: dashboard, alert rules and systemd unit', function () {
  this.timeout(60_000);
  let exported: Map<string, string[]>;
  const reasons = literalsIn('node', 'runtime/net', 'protocol/sphinx', 'protocol/wire');

  before(async () => {
    exported = await exportedMetrics();
  });

  const check = (where: string, expr: string) => {
    for (const s of selectors(expr)) {
      assert.ok(exported.has(s.metric), `${where}: ${s.metric} is not exported by any role (exported: ${[...exported.keys()].filter((k) => k.startsWith('chaff_')).join(', ')})`);
      for (const { label, op, value } of s.matchers) {
        if (label === 'instance' || label === 'job') continue;
        assert.ok(exported.get(s.metric)!.includes(label), `${where}: ${s.metric} has no label "${label}"`);
        for (const v of op.endsWith('~') ? value.split('|') : [value]) assert.ok(reasons.has(v), `${where}: ${s.metric}{${label}="${v}"}: no such value in the code`);
      }
    }
  };

  it('every metric the dashboard reads is exported, with the labels it uses', () => {
    const exprs = dashboardExprs();
    assert.ok(exprs.length >= 30);
    for (const e of exprs) check(`dashboard "${e}"`, e);
    // Grouping labels too: `by (instance, reason)` over a metric without that label shows nothing.
    for (const e of exprs) {
      for (const m of e.matchAll(/by \(([^)]*)\) \((?:rate|increase)\((chaff_[a-z0-9_]+)/g)) {
        for (const label of m[1].split(',').map((l) => l.trim())) if (label !== 'instance') assert.ok(exported.get(m[2])?.includes(label), `dashboard: ${m[2]} grouped by ${label}`);
      }
    }
  });

  it('the alert rules parse as Prometheus rule groups and name only exported metrics and counted reasons', () => {
    const rules = alertRules();
    assert.ok(rules.length >= 10);
    const names = new Set<string>();
    for (const r of rules) {
      assert.match(r.alert, /^Chaff[A-Za-z]+$/);
      assert.ok(!names.has(r.alert), `${r.alert} twice`);
      names.add(r.alert);
      assert.equal(typeof r.expr, 'string');
      assert.ok(['critical', 'warning', 'info'].includes(r.labels.severity), `${r.alert}: severity`);
      assert.ok(r.annotations.summary.length > 0, `${r.alert}: summary`);
      if (r.for !== undefined) assert.match(r.for, /^\d+[smh]$/);
      check(`rule ${r.alert}`, r.expr);
    }
  });

  it('the systemd unit is sandboxed as documented, and systemd-analyze verify accepts it', async function () {
    const unit = await readFile(join(DEPLOY, 'chaff-node@.service'), 'utf8');
    for (const line of [
      'User=chaff',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
      'ReadWritePaths=/var/lib/chaff/%i',
      'Restart=on-failure',
      'LimitNOFILE=65536',
    ])
      assert.ok(unit.split('\n').includes(line), line);
    const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (analyze.error || analyze.status !== 0) this.skip();
    // verify also checks that ExecStart exists: point it at this Node binary for the check.
    const dir = await mkdtemp(join(tmpdir(), 'chaff-unit-'));
    try {
      const path = join(dir, 'chaff-node@mix.service');
      await writeFile(path, unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
      const run = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr.trim(), '', run.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
