/**
 * Presigned GET and PUT URLs (SigV4 query signing via @aws-sdk/s3-request-presigner).
 *
 * PUT: with the SDK's default `requestChecksumCalculation: 'WHEN_SUPPORTED'` the presigner
 * would put the CRC32 of an empty body (`x-amz-checksum-crc32=AAAAAA==`) and
 * `x-amz-sdk-checksum-algorithm` into the URL, which the uploader's real bytes cannot
 * match. Those checksum headers are dropped before signing, whatever the client's setting.
 * A given content type is signed, so the uploader must send exactly that `Content-Type`.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export function presignGetUrl(client: S3Client, bucket: string, objectKey: string, expiresIn: number) {
  return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: objectKey }), { expiresIn });
}

export function presignPutUrl(
  client: S3Client,
  bucket: string,
  objectKey: string,
  expiresIn: number,
  contentType: string | undefined,
) {
  const command = new PutObjectCommand({
    Bucket: bucket,
    Key: objectKey,
    ...(contentType ? { ContentType: contentType } : {}),
  });
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      for (const name of Object.keys(request.headers ?? {})) {
        const lower = name.toLowerCase();
        if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') {
          delete request.headers?.[name];
        }
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'dalstonDropPresignedChecksums' },
  );
  return getSignedUrl(client, command, {
    expiresIn,
    ...(contentType ? { signableHeaders: new Set(['content-type']) } : {}),
  });
}
