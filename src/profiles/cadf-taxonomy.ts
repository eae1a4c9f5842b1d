/**
 * DMTF DSP0262 (CADF) vocabularies as pycadf defines them (`cadftype.py`, `cadftaxonomy.py`;
 * reference section 2.2), and how the Activity Tracker profile's words map onto them (2.4).
 */

export const CADF_EVENT_TYPE_URI = 'http://schemas.dmtf.org/cloud/audit/1.0/event';
export const EVENT_TYPES = ['activity', 'monitor', 'control'] as const;
export const OUTCOMES = ['success', 'failure', 'pending', 'unknown'] as const;
export const REPORTER_ROLES = ['observer', 'modifier', 'relay'] as const;
/** Identifiers pycadf treats as references to another resource of the same event. */
export const REFERENCE_IDS = ['target', 'initiator', 'observer'] as const;

/** pycadf's action taxonomy; a value is valid when it starts with one of these (`update/wrap` passes). */
export const ACTION_TAXONOMY = [
  'backup',
  'capture',
  'create',
  'configure',
  'read',
  'read/list',
  'update',
  'delete',
  'monitor',
  'start',
  'stop',
  'deploy',
  'undeploy',
  'enable',
  'disable',
  'send',
  'receive',
  'authenticate',
  'authenticate/login',
  'revoke',
  'renew',
  'restore',
  'evaluate',
  'allow',
  'deny',
  'notify',
  'unknown',
] as const;

/** pycadf's resource taxonomy (the roots and the values this profile uses); prefix-matched like actions. */
export const RESOURCE_TAXONOMY = [
  'storage',
  'storage/node',
  'storage/volume',
  'storage/memory',
  'storage/container',
  'storage/directory',
  'storage/database',
  'storage/queue',
  'compute',
  'compute/node',
  'compute/cpu',
  'compute/machine',
  'compute/process',
  'compute/thread',
  'network',
  'network/node',
  'network/node/host',
  'network/connection',
  'network/domain',
  'network/cluster',
  'service',
  'service/oss',
  'service/bss',
  'service/bss/metering',
  'service/composition',
  'service/compute',
  'service/database',
  'service/security',
  'service/security/keymanager',
  'service/security/account',
  'service/security/account/user',
  'service/security/audit/filter',
  'service/storage',
  'service/storage/block',
  'service/storage/image',
  'service/storage/object',
  'service/network',
  'data',
  'data/message',
  'data/workload',
  'data/workload/app',
  'data/workload/service',
  'data/workload/task',
  'data/workload/job',
  'data/file',
  'data/file/catalog',
  'data/file/log',
  'data/template',
  'data/package',
  'data/image',
  'data/module',
  'data/config',
  'data/directory',
  'data/database',
  'data/security',
  'data/security/account',
  'data/security/credential',
  'data/security/domain',
  'data/security/endpoint',
  'data/security/group',
  'data/security/identity',
  'data/security/key',
  'data/security/license',
  'data/security/policy',
  'data/security/profile',
  'data/security/project',
  'data/security/region',
  'data/security/role',
  'data/security/service',
  'data/security/trust',
  'data/security/account/user',
  'data/security/account/user/privilege',
  'data/security/keymanager',
  'data/security/keymanager/secret',
  'data/security/keymanager/container',
  'data/security/keymanager/order',
  'unknown',
] as const;

export function inTaxonomy(value: string, taxonomy: readonly string[]): boolean {
  return taxonomy.some((t) => value.startsWith(t));
}

/**
 * Activity Tracker verbs (reference 1.3) to CADF actions. A verb CADF has is kept; others become
 * a refinement of the closest CADF action (`update/wrap`), so the AT verb stays readable.
 */
const ACTION_OF_VERB: Readonly<Record<string, string>> = {
  create: 'create',
  add: 'update/add',
  import: 'create/import',
  reimport: 'update/reimport',
  build: 'create/build',
  provision: 'create/provision',
  init: 'create/init',
  copy: 'create/copy',
  read: 'read',
  get: 'read',
  view: 'read',
  head: 'read/head',
  inspect: 'read/inspect',
  export: 'read/export',
  search: 'read/list/search',
  list: 'read/list',
  update: 'update',
  edit: 'update',
  patch: 'update',
  write: 'update',
  set: 'update/set',
  merge: 'update/merge',
  rename: 'update/rename',
  reset: 'update/reset',
  refresh: 'update/refresh',
  expire: 'update/expire',
  commit: 'update/commit',
  failover: 'update/failover',
  split: 'update/split',
  configure: 'configure',
  'set-on': 'configure/set-on',
  'set-off': 'configure/set-off',
  delete: 'delete',
  purge: 'delete/purge',
  remove: 'delete/remove',
  bulkdelete: 'delete/bulk',
  endtoenddelete: 'delete/endtoend',
  clear: 'delete/clear',
  wrap: 'update/wrap',
  unwrap: 'update/unwrap',
  rewrap: 'update/rewrap',
  rotate: 'update/rotate',
  setkeyfordeletion: 'update/setkeyfordeletion',
  unsetkeyfordeletion: 'update/unsetkeyfordeletion',
  login: 'authenticate/login',
  authenticate: 'authenticate',
  authorize: 'evaluate/authorize',
  approve: 'allow/approve',
  reapprove: 'allow/reapprove',
  reject: 'deny/reject',
  test: 'evaluate/test',
  pause: 'stop/pause',
  resume: 'start/resume',
  publish: 'send/publish',
  push: 'send/push',
  pull: 'receive/pull',
  backup: 'backup',
  capture: 'capture',
  monitor: 'monitor',
  start: 'start',
  stop: 'stop',
  deploy: 'deploy',
  undeploy: 'undeploy',
  enable: 'enable',
  disable: 'disable',
  send: 'send',
  receive: 'receive',
  revoke: 'revoke',
  renew: 'renew',
  restore: 'restore',
  evaluate: 'evaluate',
  allow: 'allow',
  deny: 'deny',
  notify: 'notify',
};

/** Verbs of the CADF-mapped table, longest first, for compound verbs (`readmetadata`, `configread`). */
const VERBS_LONGEST_FIRST = Object.keys(ACTION_OF_VERB).sort((a, b) => b.length - a.length);

/** The names Activity Tracker gives invalid requests under a prefix: not an action on anything. */
const CATCH_ALL_VERBS = new Set(['default', 'request']);

/**
 * The CADF action of an Activity Tracker action (`kms.secrets.unwrap` → `update/unwrap`). A
 * compound verb takes its known part as the action and the rest as the refinement:
 * `readmetadata` → `read/metadata`, `listkeyversions` → `read/list/keyversions`,
 * `configread` → `read/config`, `eventack` → `update/eventack`.
 */
export function cadfActionOf(atAction: string): string {
  const verb = atAction.slice(atAction.lastIndexOf('.') + 1);
  const exact = ACTION_OF_VERB[verb];
  if (exact) return exact;
  // Acknowledgements of lifecycle events (ack-rotate, event_ack ...) change the key's state.
  if (verb.startsWith('ack') || verb.endsWith('ack')) return `update/${verb}`;
  // Catch-all names of invalid requests (`.default`, `.request`): CADF's own `unknown`.
  if (CATCH_ALL_VERBS.has(verb)) return 'unknown';
  for (const known of VERBS_LONGEST_FIRST) {
    if (verb.startsWith(known)) return `${ACTION_OF_VERB[known]}/${verb.slice(known.length)}`;
    if (verb.endsWith(known)) return `${ACTION_OF_VERB[known]}/${verb.slice(0, -known.length)}`;
  }
  return 'unknown';
}

/** Services whose instances are key managers: their target typeURIs map into the keymanager taxonomy. */
const KEY_MANAGERS = new Set(['kms', 'hs-crypto', 'secrets-manager', 'vault']);

/** Object types (the part after `service/` in an AT typeURI) to CADF resources, first match wins. */
const RESOURCE_OF_OBJECT: [RegExp, string][] = [
  [/^(instance|endpoints|kmip-management)$/, 'service/security/keymanager'],
  [/polic/, 'data/security/policy'],
  [/^(secret-groups?|key-rings?)$/, 'data/security/keymanager/container'],
  [/^import-token$|token|credential|apikey|^auth/, 'data/security/credential'],
  [/audit/, 'service/security/audit/filter'],
  [/config|registration|notification|mount|lease|^path$|^sys$/, 'data/config'],
  [/secret/, 'data/security/keymanager/secret'],
  [/key/, 'data/security/key'],
  [/group/, 'data/security/group'],
  [/user/, 'data/security/account/user'],
  [/role/, 'data/security/role'],
  [/account/, 'data/security/account'],
  [/object|bucket/, 'storage/container'],
];

/**
 * The CADF resource type of an Activity Tracker target typeURI. Key Protect calls its keys
 * `secrets` (`kms/secrets`): those are `data/security/key`; a Secrets Manager secret is a
 * `data/security/keymanager/secret`.
 */
export function cadfResourceTypeOf(atTypeURI: string, service: string): string {
  const [owner = '', object = ''] = atTypeURI.replace(/^\//, '').split('/');
  if ((owner === 'kms' || owner === 'hs-crypto') && object.startsWith('secrets')) return 'data/security/key';
  if (object === 'instance' && !KEY_MANAGERS.has(service)) return 'service';
  return RESOURCE_OF_OBJECT.find(([re]) => re.test(object))?.[1] ?? 'unknown';
}

/** The observer: the service instance that wrote the event. */
export function cadfServiceTypeOf(service: string): string {
  return KEY_MANAGERS.has(service) ? 'service/security/keymanager' : 'service';
}
