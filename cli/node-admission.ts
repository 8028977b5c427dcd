// `chaff node admit|suspend|revoke|admissions`: an authority operator edits
// or lists the authority's admission list (node/authority/admission-list.ts,
// docs/operators.md §Admitting nodes). The file is written atomically and
// the running authority re-reads it when it changes: no restart.

import { ConfigError, loadConfig } from '../node/config.js';
import { AdmissionFileError, editAdmission, readAdmissions, type AdmissionStatus } from '../node/authority/admission-list.js';

export type AdmissionCommand = 'admit' | 'suspend' | 'revoke' | 'admissions';

export interface AdmissionFlags {
  config?: string;
  role?: string;
  note?: string;
  force?: boolean;
  json?: boolean;
}

/** Runs `chaff node SUB` with IDENTITY in `args` (none for `admissions`); the command line is cli/commands/node.ts. */
export async function admissionCommand(sub: AdmissionCommand, args: readonly string[], flags: AdmissionFlags): Promise<number> {
  const fail = (message: string, code = 2): number => {
    process.stderr.write(`chaff node ${sub}: ${message}\n`);
    return code;
  };
  if (!flags.config) return fail("--config is required (the authority's config)");
  if (flags.role !== undefined && flags.role !== 'mix' && flags.role !== 'gateway') return fail('--role is "mix" or "gateway"');
  let config;
  try {
    config = loadConfig(flags.config);
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message);
    throw err;
  }
  if (config.node.role !== 'authority') return fail(`${flags.config} is a ${config.node.role}'s config: admission lists belong to authorities`);
  const path = config.authority.admissionsPath;
  try {
    if (sub === 'admissions') {
      const records = await readAdmissions(path);
      if (flags.json) process.stdout.write(`${JSON.stringify(records)}\n`);
      else if (records.length === 0) process.stdout.write(`no nodes in ${path}\n`);
      else for (const r of records) process.stdout.write(`${r.identity}  ${r.status.padEnd(9)} ${(r.role ?? 'any').padEnd(7)} ${r.changed || '-'}  ${r.note}\n`);
      return 0;
    }
    const status: AdmissionStatus = sub === 'admit' ? 'admitted' : sub === 'suspend' ? 'suspended' : 'revoked';
    const record = await editAdmission(
      path,
      args[0],
      {
        status,
        ...(flags.role ? { role: flags.role as 'mix' | 'gateway' } : {}),
        ...(flags.note !== undefined ? { note: flags.note } : {}),
        force: flags.force ?? false,
      },
      new Date(),
    );
    process.stdout.write(`${JSON.stringify(record)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof AdmissionFileError) return fail(`${err.message} (${path})`, 1);
    throw err;
  }
}
