/**
 * A pipeline: the host's function from validated job parameters to task specs.
 * `parameters` (a zod schema) validates what callers submit; without it any JSON
 * object is accepted.
 */
import type { ZodType } from 'zod';
import type { JsonObject } from '../../domain/json.js';
import type { TaskSpec } from '../../domain/task.js';

export interface Pipeline<P extends JsonObject = JsonObject> {
  parameters?: ZodType<P>;
  build(parameters: P): TaskSpec[];
}
