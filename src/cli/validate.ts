import type { CommandModule } from 'yargs';
import { runValidate, runValidateCadf } from '../run/validate.js';

interface ValidateArgs {
  paths: string[];
  pipeline?: string[];
  format?: string;
  profile?: 'cadf';
  json: boolean;
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <paths..>',
  describe: 'Check that every line becomes a valid Activity Tracker event; report only, writes nothing. Exit 1 if any line is invalid',
  builder: (y) =>
    y
      .positional('paths', { type: 'string', array: true, demandOption: true })
      .option('pipeline', { type: 'string', array: true })
      .option('format', { type: 'string' })
      // Check CADF event files (what `export --profile cadf` writes) against pycadf's rules
      .option('profile', { choices: ['cadf'] as const, describe: 'cadf: the files hold CADF events; check each against the rules pycadf applies' })
      .option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    const report =
      args.profile === 'cadf'
        ? await runValidateCadf({ paths: args.paths })
        : await runValidate({ paths: args.paths, pipelines: args.pipeline, format: args.format });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const lines = [
        `lines read  ${report.linesRead}`,
        `valid       ${report.valid}`,
        `filtered    ${report.filtered}`,
        `invalid     ${report.invalid}${
          report.invalid
            ? ` (${Object.entries(report.invalidBy)
                .map(([k, v]) => `${k}: ${v}`)
                .join(', ')})`
            : ''
        }`,
        ...report.examples.map((e) => `  ${e.source}:${e.line}: ${e.code}: ${e.reason}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (report.invalid > 0) process.exitCode = 1;
  },
};
