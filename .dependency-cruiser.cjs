// Layer rules of src/ (npm run lint:layers). Each folder imports only folders of a lower tier,
// never one of its own tier, so no cycle between folders can form; cycles between modules are
// refused on their own. Type-only imports count: a type ties two layers as much as a value does.

/** Lowest first. `errors` is the file src/errors.ts. A folder not listed here is refused until it is placed. */
const TIERS = [
  ['model', 'errors'],
  // Secrets and configuration loading are what sinks and sources are built from (a cluster's API key, a file:line error).
  ['secrets', 'config'],
  ['sinks', 'sources', 'profiles'],
  ['transforms', 'searches'],
  ['formats'],
  ['run'],
  ['server'],
  ['cli'],
];

/** Lower folders a layer still may not import: formats and transforms map records, and reading or writing them is run's. */
const PURE = { formats: ['sources', 'sinks'], transforms: ['sources', 'sinks'] };

const modulePath = (layer) => (layer === 'errors' ? '^src/errors\\.ts$' : `^src/${layer}/`);
const anyOf = (layers) => layers.map(modulePath).join('|');

const layerRules = TIERS.flatMap((tier, level) => {
  const below = TIERS.slice(0, level).flat();
  return tier.map((layer) => {
    const allowed = below.filter((lower) => !(PURE[layer] ?? []).includes(lower));
    return {
      name: `layer-${layer}`,
      severity: 'error',
      comment: `${layer} may import only ${allowed.length > 0 ? allowed.join(', ') : 'nothing else in src/'} (and itself)`,
      from: { path: modulePath(layer) },
      to: { path: '^src/', pathNot: anyOf([layer, ...allowed]) },
    };
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-unplaced',
      severity: 'error',
      comment: 'a module of src/ outside every layer of TIERS (.dependency-cruiser.cjs) imports src/',
      from: { path: '^src/', pathNot: anyOf(TIERS.flat()) },
      to: { path: '^src/' },
    },
    {
      name: 'layer-unplaced-imported',
      severity: 'error',
      comment: 'a module of src/ outside every layer of TIERS (.dependency-cruiser.cjs) is imported',
      from: {},
      to: { path: '^src/', pathNot: anyOf(TIERS.flat()) },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'modules import each other in a cycle',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import that resolves to nothing',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|bench|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
