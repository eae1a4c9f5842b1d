/**
 * What a stage may report beyond its line count. main.ts times the whole stage and reads the stage
 * process's own CPU time and peak RSS unless the stage says otherwise: a stage with set-up it does not
 * measure (starting a server, ingesting a store to search) gives its measured part's time and CPU, and
 * a stage whose work runs in another process gives that process's figures.
 */
export interface StageReport {
  lines: number;
  /** Milliseconds of the measured part (default: the whole stage) */
  ms?: number;
  /** CPU microseconds of the measured part (default: this process over the whole stage) */
  cpuUs?: number;
  /** Peak RSS of the process that did the work (default: this process) */
  maxRssMiB?: number;
  /** False when the stage does not read the corpus at its measured rate (MiB/s is then left out) */
  readsCorpus?: boolean;
  /** Figures of its own, printed under the table and kept in the JSON report */
  figures?: Record<string, number>;
}
