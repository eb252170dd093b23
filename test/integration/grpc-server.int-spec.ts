import { Controller, Module } from '@nestjs/common';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Observable, of } from 'rxjs';
import {
  callUnary,
  FeatureServiceControllerMethods,
  FeatureServiceService,
  grpcClient,
  SERVICE_NAMES,
  type FeatureServiceController,
  type GetFeaturesRequest,
  type GetFeaturesResponse,
} from '@offerstream/contracts';
import {
  assertUnreachable,
  checkHealth,
  DomainException,
  listServices,
  REASON_TRAILER,
  type GrpcStatusMapper,
} from '@offerstream/grpc';
import { startService, type RunningService } from '@offerstream/service-kit';
import { expectEventually } from '@offerstream/testing';

enum ProbeErrorCode {
  TOO_MANY_CANDIDATES = 'TOO_MANY_CANDIDATES',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
}
class ProbeException extends DomainException<ProbeErrorCode> {}
const probeMapper: GrpcStatusMapper = (e) => {
  if (!(e instanceof ProbeException)) return undefined;
  switch (e.code) {
    case ProbeErrorCode.TOO_MANY_CANDIDATES:
      return status.RESOURCE_EXHAUSTED;
    case ProbeErrorCode.USER_NOT_FOUND:
      return status.NOT_FOUND;
    default:
      return assertUnreachable(e.code);
  }
};

const abandoned: string[] = [];

/** A FeatureService that exercises the server plumbing: errors, slowness, a plain answer. */
@Controller()
@FeatureServiceControllerMethods()
class ProbeFeatureController implements FeatureServiceController {
  getFeatures(req: GetFeaturesRequest): Observable<GetFeaturesResponse> {
    if (req.candidates.length > 3) {
      throw new ProbeException(
        ProbeErrorCode.TOO_MANY_CANDIDATES,
        'at most 3 candidates per call',
        { limit: '3' },
      );
    }
    if (req.userId === 'boom') throw new Error('database password is hunter2');
    if (req.userId === 'slow') {
      return new Observable<GetFeaturesResponse>((sub) => {
        const t = setTimeout(() => {
          sub.next({ features: undefined });
          sub.complete();
        }, 10000);
        return () => {
          clearTimeout(t);
          abandoned.push(req.userId);
        };
      });
    }
    return of({
      features: {
        featureSpecVersion: `spec-for-${req.userId}`,
        user: undefined,
        sequence: [],
        candidates: [],
      } as never,
    });
  }
}

@Module({ controllers: [ProbeFeatureController] })
class ProbeModule {}

describe('an offerstream gRPC server on port 0', () => {
  let svc: RunningService<Record<string, never>>;
  let address: string;
  let client: ReturnType<typeof grpcClient<typeof FeatureServiceService>>;

  beforeAll(async () => {
    svc = await startService(
      {
        name: 'probe',
        module: ProbeModule,
        grpcServices: [SERVICE_NAMES.features],
        env: {},
        errorMappers: [probeMapper],
      },
      { GRPC_PORT: '0', HTTP_PORT: '0', GRPC_HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    );
    address = `127.0.0.1:${svc.grpcPort}`;
    client = grpcClient(FeatureServiceService, SERVICE_NAMES.features, address);
  });
  afterAll(async () => {
    client.close();
    await svc.stop();
  });

  it('listens on the port it was given and answers a call', async () => {
    expect(svc.grpcPort).toBeGreaterThan(0);
    const res = await callUnary(client.getFeatures.bind(client), {
      shopId: 's',
      userId: 'u1',
      sessionId: '',
      candidates: [],
      featureSpecVersion: '',
    });
    expect(res.features?.featureSpecVersion).toBe('spec-for-u1');
  });

  it('answers grpc.health.v1 checks for the server and each service', async () => {
    expect(await checkHealth(address)).toBe('SERVING');
    expect(await checkHealth(address, SERVICE_NAMES.features)).toBe('SERVING');
    await expect(checkHealth(address, 'offerstream.v1.NoSuchService')).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('lists its services through reflection, as grpcurl would', async () => {
    const names = await listServices(address);
    expect(names).toEqual(
      expect.arrayContaining([SERVICE_NAMES.features, 'grpc.health.v1.Health']),
    );
    expect(names).not.toContain(SERVICE_NAMES.offers); // loaded from the protos, but not served here
  });

  it('maps a domain error to its status with the reason and details as trailers', async () => {
    const err = (await callUnary(client.getFeatures.bind(client), {
      shopId: 's',
      userId: 'u',
      sessionId: '',
      candidates: [1, 2, 3, 4].map((i) => ({
        offerId: `o${i}`,
        campaignId: '',
        itemId: '',
        categoryId: '',
      })),
      featureSpecVersion: '',
    }).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toBe('TOO_MANY_CANDIDATES: at most 3 candidates per call');
    expect(err.metadata.get(REASON_TRAILER)).toEqual(['TOO_MANY_CANDIDATES']);
    expect(err.metadata.get('offerstream-limit')).toEqual(['3']);
  });

  it('hides unexpected errors behind INTERNAL with a generic message', async () => {
    const err = (await callUnary(client.getFeatures.bind(client), {
      shopId: 's',
      userId: 'boom',
      sessionId: '',
      candidates: [],
      featureSpecVersion: '',
    }).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).toBe('internal error');
    expect(err.details).not.toContain('hunter2');
  });

  it('abandons a handler at the caller deadline instead of working on for nobody', async () => {
    const started = Date.now();
    const err = (await callUnary(
      client.getFeatures.bind(client),
      {
        shopId: 's',
        userId: 'slow',
        sessionId: '',
        candidates: [],
        featureSpecVersion: '',
      },
      {
        deadlineMs: 300,
        metadata: new Metadata(),
      },
    ).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    await expectEventually(() => expect(abandoned).toContain('slow'), { timeoutMs: 3000 });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('serves /healthz, /readyz and /metrics over HTTP, with gRPC call metrics', async () => {
    const base = `http://127.0.0.1:${svc.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, draining: false });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /offerstream_grpc_server_handling_seconds_count\{[^}]*code="RESOURCE_EXHAUSTED"/,
    );
    expect(metrics).toMatch(/process_cpu_seconds_total/);
  });
});
