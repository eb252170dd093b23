import {
  credentials,
  loadPackageDefinition,
  makeGenericClientConstructor,
  Metadata,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';

/**
 * Client-side probes of any offerstream server: the grpc.health.v1 status of a service and
 * the list of services reflection exposes (what `grpcurl list` shows). Used by tests, the
 * demo and operators' tooling.
 */

type Unary = (
  req: unknown,
  md: Metadata,
  opts: { deadline: Date },
  cb: (err: ServiceError | null, res?: { status: string | number }) => void,
) => void;

/** The health status of `service` ('' = the whole server): 'SERVING', 'NOT_SERVING', ... */
export function checkHealth(address: string, service = '', deadlineMs = 2000): Promise<string> {
  const Ctor = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const client = new Ctor(address, credentials.createInsecure()) as unknown as Client & {
    check: Unary;
  };
  return new Promise<string>((resolve, reject) => {
    client.check(
      { service },
      new Metadata(),
      { deadline: new Date(Date.now() + deadlineMs) },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else
          resolve(
            typeof res?.status === 'number'
              ? (['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][res.status] ?? 'UNKNOWN')
              : String(res?.status),
          );
      },
    );
  });
}

interface ReflectionStream {
  write(req: unknown): void;
  end(): void;
  on(
    event: 'data',
    cb: (res: {
      listServicesResponse?: { service: { name: string }[] };
      errorResponse?: { errorMessage: string };
    }) => void,
  ): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'end', cb: () => void): void;
}

/** Service names listed by server reflection (grpc.reflection.v1), sorted. */
export function listServices(address: string, deadlineMs = 2000): Promise<string[]> {
  const protoFile =
    require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const pkg = loadPackageDefinition(
    loadSync(protoFile, { keepCase: false, defaults: true, oneofs: true }),
  ) as unknown as {
    grpc: {
      reflection: {
        v1: {
          ServerReflection: new (
            addr: string,
            creds: ReturnType<typeof credentials.createInsecure>,
          ) => Client & {
            serverReflectionInfo(md: Metadata, opts: { deadline: Date }): ReflectionStream;
          };
        };
      };
    };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
  return new Promise<string[]>((resolve, reject) => {
    const call = client.serverReflectionInfo(new Metadata(), {
      deadline: new Date(Date.now() + deadlineMs),
    });
    let names: string[] | undefined;
    call.on('data', (res) => {
      if (res.errorResponse) reject(new Error(res.errorResponse.errorMessage));
      names = (res.listServicesResponse?.service ?? []).map((s) => s.name).sort();
      call.end();
    });
    call.on('error', (err) => {
      client.close();
      reject(err);
    });
    call.on('end', () => {
      client.close();
      if (names) resolve(names);
      else reject(new Error('reflection stream ended without a listing'));
    });
    call.write({ host: '', listServices: '' });
  });
}
