import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configForUrl, parseElasticsearchConfig } from '../../../src/sinks/elasticsearch/config.js';
import { clusterFor } from '../../../src/sinks/elasticsearch/clusters.js';

const parse = (text: string, env: NodeJS.ProcessEnv = {}) => parseElasticsearchConfig(text, 'es.yaml', env);

describe('Elasticsearch configuration', () => {
  it('reads clusters, locations, secrets from the environment, and fills defaults', () => {
    const c = parse(
      [
        'clusters:',
        '  eu:',
        '    url: https://es-eu:9200/',
        '    apiKey: { env: KEY }',
        '    caFile: ca.pem',
        '    locations: [eu-de, eu-gb]',
        'ilm: { deleteAfter: 400d }',
      ].join('\n'),
      { KEY: 'k-123' },
    );
    expect(c.clusters).toHaveLength(1);
    expect(c.clusters[0]).toMatchObject({ name: 'eu', url: 'https://es-eu:9200', caFile: 'ca.pem', locations: ['eu-de', 'eu-gb'] });
    expect(c.ilm).toEqual({ maxPrimaryShardSize: '50gb', maxAge: '30d', deleteAfter: '400d' });
    expect(c.bulk.maxBytes).toBe(5 * 1024 * 1024);
    expect(c.searchBeforeCreate).toBe(true);
    const auth = c.clusters[0]!.auth as { apiKey: { reveal(): string } };
    expect(auth.apiKey.reveal()).toBe('k-123');
  });

  it('never prints a secret: JSON, inspect and template strings give [redacted]', () => {
    const c = parse('clusters:\n  a: { url: "http://h:9200", username: u, password: hunter2, locations: [us-south] }\n');
    for (const text of [JSON.stringify(c), inspect(c, { depth: 10, showHidden: true }), `${String((c.clusters[0]!.auth as { password: unknown }).password)}`]) {
      expect(text).not.toContain('hunter2');
    }
    const fromUrl = configForUrl('https://alice:s3cret@es:9200', {});
    expect(JSON.stringify(fromUrl)).not.toContain('s3cret');
    expect(fromUrl.clusters[0]!.url).toBe('https://es:9200');
  });

  it.each([
    ['an unknown key, with its line', 'clusters:\n  a:\n    url: http://h\n    locations: [us-south]\n    sniff: true\n', /^es\.yaml:5: unknown key "sniff"/],
    [
      'a location on two clusters',
      'clusters:\n  a: { url: "http://a", locations: [us-south] }\n  b:\n    url: http://b\n    locations:\n      - eu-de\n      - us-south\n',
      /^es\.yaml:7: location "us-south" is already on cluster "a"/,
    ],
    ['a location that is not a location name', 'clusters:\n  a:\n    url: http://a\n    locations: [US South]\n', /^es\.yaml:4:/],
    ['credentials in the URL', 'clusters:\n  a:\n    url: http://u:p@a\n    locations: [us-south]\n', /^es\.yaml:3: put credentials under/],
    [
      'an unset environment variable',
      'clusters:\n  a:\n    url: http://a\n    apiKey: { env: NOPE }\n    locations: [us-south]\n',
      /^es\.yaml:4: environment variable NOPE is not set/,
    ],
    ['a bad retention', 'clusters:\n  a: { url: "http://a", locations: [us-south] }\nilm:\n  deleteAfter: forever\n', /^es\.yaml:4:/],
    ['YAML that does not parse', 'clusters:\n  a: [\n', /^es\.yaml:\d+:\d+: YAML syntax/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it('routes a location to the cluster that lists it, else to "*", else nowhere', () => {
    const clusters = [
      { name: 'eu', locations: ['eu-de'] },
      { name: 'any', locations: '*' as const },
    ];
    expect(clusterFor(clusters, 'eu-de')?.name).toBe('eu');
    expect(clusterFor(clusters, 'us-south')?.name).toBe('any');
    expect(clusterFor([clusters[0]!], 'us-south')).toBeUndefined();
  });
});
