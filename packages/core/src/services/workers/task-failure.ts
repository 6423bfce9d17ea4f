/**
 * What a handler throws to fail its attempt with a chosen code, and to say whether a
 * retry can help. Any other thrown value fails the attempt as retryable (`HANDLER_ERROR`).
 */
export class TaskFailure extends Error {
  override readonly name = 'TaskFailure';
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean; code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? true;
    this.code = options.code ?? 'TASK_FAILED';
  }
}
