import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { IngestResponse, IngestSource } from '@offerstream/contracts';
import { CommonErrorCode, CommonException } from '@offerstream/grpc';
import { SERVICE_CONFIG } from '@offerstream/service-kit';
import type { IngestConfig } from './ingest.config';
import { summarise } from './ingest.controller';
import { eventsFromHttpBody, HttpBodyError } from './http-events.decoder';
import { IngestPipeline } from './ingest-pipeline.service';

interface Reply {
  status(code: number): Reply;
  json(body: unknown): void;
}

/** Reads a request body up to `limit` bytes; larger bodies fail with 413 without being buffered. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new HttpBodyError(413, `body is ${declared} bytes; the limit is ${limit}`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpBodyError(413, `body exceeds the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * POST /v1/events for producers without a Kafka client: a JSON array, NDJSON or a
 * protobuf EventBatch; answers 200 with one result per event once Kafka acknowledged
 * (the same JSON shape as IngestResponse), 400/413/415 for unusable bodies, 503 when
 * Kafka cannot be written.
 */
@Controller('v1')
export class HttpIngestController {
  constructor(
    private readonly pipeline: IngestPipeline,
    @Inject(SERVICE_CONFIG) private readonly cfg: IngestConfig,
  ) {}

  @Post('events')
  async ingest(@Req() req: IncomingMessage, @Res() res: Reply): Promise<void> {
    try {
      const body = await readBody(req, this.cfg.INGEST_HTTP_MAX_BODY_BYTES);
      const items = eventsFromHttpBody(body, req.headers['content-type']);
      if (items.length === 0 || items.length > this.cfg.INGEST_MAX_REQUEST_EVENTS) {
        throw new HttpBodyError(
          400,
          `a request carries 1..${this.cfg.INGEST_MAX_REQUEST_EVENTS} events (got ${items.length})`,
        );
      }
      const results = await this.pipeline.submit(items, IngestSource.INGEST_SOURCE_HTTP);
      res.status(200).json(IngestResponse.toJSON(summarise(results)));
    } catch (err) {
      if (err instanceof HttpBodyError) {
        res.status(err.status).json({ error: err.message });
      } else if (err instanceof CommonException && err.code === CommonErrorCode.UNAVAILABLE) {
        res.status(503).json({ error: err.message });
      } else {
        throw err;
      }
    }
  }
}
