import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { Readiness } from './readiness';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

interface ReplyLike {
  status(code: number): ReplyLike;
  json(body: unknown): void;
}

/** `/healthz` (liveness), `/readyz` (readiness) and `/metrics` (Prometheus) over HTTP. */
@Controller()
export class ProbesController {
  constructor(
    private readonly readiness: Readiness,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  /** Liveness: the event loop answers. Restarting would not fix a dependency outage, so no checks here. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() res: ReplyLike): Promise<void> {
    const report = await this.readiness.report();
    res.status(report.ready ? 200 : 503).json(report);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
