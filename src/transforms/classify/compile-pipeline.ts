import { loadPipelineFile, resolvePipelineFiles } from '../../config/load-pipeline.js';
import { compilePipeline, type CompiledPipeline } from './compiled-pipeline.js';

export { compileLoadedConfig, compilePipeline, type CompiledPipeline } from './compiled-pipeline.js';

/** Loads and compiles `--pipeline` names or paths (default: every bundled pipeline). */
export function loadPipelines(names?: string[]): CompiledPipeline[] {
  return resolvePipelineFiles(names).map((file) => compilePipeline(loadPipelineFile(file)));
}
