/**
 * Streams a multipart/form-data upload with busboy. The file part is handed to
 * `onFile` as a stream the moment it begins (nothing is buffered whole), so it can go
 * straight into `jobs.submit({ input: { body } })`.
 *
 * - Fields must come before the file part; a part after the file is a 400.
 * - The byte limit is enforced while streaming: the body errors with 413 at the first
 *   byte over the limit, so the artifact upload aborts and no job is created.
 * - The stream given to `onFile` ends only after the whole request has been parsed, so a
 *   malformed tail also fails the upload before the job row exists.
 * - After a failure the rest of the request is drained (read and discarded) so the
 *   client receives the problem response.
 */
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { HttpProblem } from '../problem.js';

export interface UploadLimits {
  maxBytes: number;
  allowedContentTypes: string[];
}

export interface UploadedFile {
  /** A safe artifact name derived from the client's filename (`input` plus its extension). */
  name: string;
  contentType: string;
  body: Readable;
}

const FIELD_BYTES = 64 * 1024;
const MULTIPART_OVERHEAD = 1024 * 1024;

class LimitedBody extends Transform {
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onTooLarge: () => void,
    private readonly requestDone: Promise<void>,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.onTooLarge();
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.requestDone.then(() => cb(), cb);
  }
}

export function receiveUpload<T>(
  req: Request,
  res: Response,
  limits: UploadLimits,
  onFile: (fields: Record<string, string>, file: UploadedFile) => Promise<T>,
): Promise<T> {
  const refuse = (err: HttpProblem) => {
    req.resume(); // drain, so the client reads the answer
    return Promise.reject(err);
  };
  if (!req.is('multipart/form-data')) {
    return refuse(
      new HttpProblem(415, 'VALIDATION_FAILED', 'send the upload as multipart/form-data', 'Content-Type'),
    );
  }
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > limits.maxBytes + MULTIPART_OVERHEAD) return refuse(tooLarge(limits.maxBytes));
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: { files: 1, fields: 8, parts: 9, fieldSize: FIELD_BYTES, fileSize: limits.maxBytes + 1 },
    });
  } catch {
    return refuse(malformed('the multipart Content-Type has no boundary'));
  }

  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let body: LimitedBody | undefined;
    let failed = false;
    let markDone!: () => void;
    let markFailed!: (e: unknown) => void;
    const requestDone = new Promise<void>((ok, ko) => {
      markDone = ok;
      markFailed = ko;
    });
    requestDone.catch(() => undefined);

    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      markFailed(err);
      body?.destroy(err instanceof Error ? err : new Error(String(err)));
      req.unpipe(bb);
      req.resume();
      reject(err);
    };

    bb.on('field', (name, value, info) => {
      if (body) return fail(malformed(`the field "${name}" comes after the file; send fields first`));
      if (info.valueTruncated)
        return fail(new HttpProblem(413, 'VALIDATION_FAILED', `field ${name} is too large`, name));
      fields[name] = value;
    });
    bb.on('file', (name, file, info) => {
      if (failed) return file.resume();
      if (name !== 'file') {
        file.resume();
        return fail(malformed(`unexpected file part "${name}"; name the file part "file"`));
      }
      if (!accepts(limits.allowedContentTypes, info.mimeType)) {
        file.resume();
        const allowed = limits.allowedContentTypes.join(', ');
        return fail(
          new HttpProblem(
            415,
            'VALIDATION_FAILED',
            `file type ${info.mimeType} is not accepted (${allowed})`,
            'file',
          ),
        );
      }
      body = new LimitedBody(limits.maxBytes, () => fail(tooLarge(limits.maxBytes)), requestDone);
      body.on('error', () => undefined); // the consumer (the artifact upload) sees it; `fail` reports it
      file.on('limit', () => fail(tooLarge(limits.maxBytes)));
      file.on('error', (e: Error) => fail(malformed(e.message)));
      file.pipe(body);
      const upload = { name: artifactName(info.filename), contentType: info.mimeType, body };
      onFile({ ...fields }, upload).then(
        (value) => (failed ? undefined : resolve(value)),
        (err) => fail(err),
      );
    });
    bb.on('filesLimit', () => fail(malformed('send exactly one file part')));
    bb.on('fieldsLimit', () => fail(malformed('too many fields')));
    bb.on('partsLimit', () => fail(malformed('too many parts')));
    bb.on('error', (e: Error) => fail(malformed(`malformed multipart body: ${e.message}`)));
    bb.on('close', () => {
      if (!body) return fail(malformed('the body has no file part named "file"'));
      markDone();
    });
    res.on('close', () => {
      if (!res.writableFinished) fail(new Error('the client closed the connection'));
    });
    req.on('error', (e) => fail(e));
    req.pipe(bb);
  });
}

function accepts(allowed: string[], mimeType: string): boolean {
  const type = mimeType.toLowerCase();
  return allowed.some((a) => (a.endsWith('/*') ? type.startsWith(a.slice(0, -1)) : type === a));
}

/** `input` plus the client's extension when it is a plain one; the client's name is never used as a key. */
function artifactName(filename: string | undefined): string {
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(filename ?? '')?.[0] ?? '';
  return `input${ext.toLowerCase()}`;
}

const malformed = (message: string) => new HttpProblem(400, 'VALIDATION_FAILED', message, 'body');
const tooLarge = (max: number) =>
  new HttpProblem(413, 'VALIDATION_FAILED', `the upload exceeds the limit of ${max} bytes`, 'file');
