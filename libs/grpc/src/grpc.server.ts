import {
  Server,
  ServerCredentials,
  type ChannelOptions,
  type MethodDefinition,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import {
  HealthImplementation,
  protoPath as healthProtoPath,
  type ServingStatus,
} from 'grpc-health-check';

export { healthProtoPath };

export interface OfferstreamGrpcOptions {
  /** host:port; port 0 picks a free port (read it from `boundPort` after listen). */
  readonly url: string;
  /** Proto packages whose services this process serves, e.g. ['offerstream.v1']. */
  readonly packages: readonly string[];
  /** .proto files to load (the health proto is added automatically). */
  readonly protoPath: readonly string[];
  /** Directories imports resolve against. */
  readonly includeDirs: readonly string[];
  /** Fully-qualified service names reported by the health service, e.g. 'offerstream.v1.OfferService'. */
  readonly serviceNames: readonly string[];
  readonly channelOptions?: ChannelOptions;
  /** How long close() waits for in-flight calls before cancelling them. */
  readonly shutdownGraceMs?: number;
  /**
   * Generated service definitions whose codecs replace proto-loader's for the same method
   * paths: requests decode straight into the generated types and responses encode from
   * them (proto-loader builds and converts protobufjs objects on every call).
   */
  readonly codecs?: readonly ServiceDefinition[];
}

type AnyMethod = MethodDefinition<unknown, unknown>;

/** Puts the generated codecs on the loaded methods with the same path (see `codecs`). */
export function useGeneratedCodecs(
  pkg: PackageDefinition,
  defs: readonly ServiceDefinition[],
): number {
  const byPath = new Map<string, AnyMethod>();
  for (const d of defs) for (const m of Object.values(d)) byPath.set(m.path, m as AnyMethod);
  let n = 0;
  for (const service of Object.values(pkg)) {
    if (!service || 'format' in service) continue; // a message type, not a service
    for (const m of Object.values(service) as AnyMethod[]) {
      const gen = byPath.get(m.path);
      if (!gen) continue;
      const loaderSerialize = m.responseSerialize;
      m.requestDeserialize = gen.requestDeserialize;
      // A handler that returns a partial object still gets an answer: proto-loader's
      // serializer fills what the generated one requires.
      m.responseSerialize = (value: unknown) => {
        try {
          return gen.responseSerialize(value);
        } catch {
          return loaderSerialize(value);
        }
      };
      n++;
    }
  }
  return n;
}

/**
 * Nest's gRPC transport plus what operators expect of every offerstream server:
 * grpc.health.v1 health checking, server reflection (so grpcurl works), the bound port
 * when asked for port 0, and a graceful close (NOT_SERVING first, then drain, then cancel).
 */
export class OfferstreamGrpcServer extends ServerGrpc {
  readonly health: HealthImplementation;
  private port: number | undefined;
  private grpcServer: Server | undefined;

  constructor(private readonly o: OfferstreamGrpcOptions) {
    const options: GrpcOptions['options'] = {
      url: o.url,
      package: [...o.packages],
      protoPath: [...o.protoPath, healthProtoPath],
      loader: {
        includeDirs: [...o.includeDirs],
        keepCase: false,
        longs: Number,
        enums: Number,
        defaults: true,
        oneofs: true,
        arrays: true,
        objects: true,
      },
      onLoadPackageDefinition: (pkg: PackageDefinition, server: Pick<Server, 'addService'>) => {
        if (o.codecs) useGeneratedCodecs(pkg, o.codecs);
        // List what this process serves (and health), not every service in the loaded protos.
        new ReflectionService(pkg, {
          services: [...o.serviceNames, 'grpc.health.v1.Health'],
        }).addToServer(server);
        this.health.addToServer(server);
      },
    };
    super(options);
    this.health = new HealthImplementation({
      '': 'NOT_SERVING',
      ...Object.fromEntries(o.serviceNames.map((s) => [s, 'NOT_SERVING' as const])),
    });
  }

  /** The port the server listens on (useful with port 0). */
  get boundPort(): number {
    if (this.port === undefined) throw new Error('gRPC server is not listening yet');
    return this.port;
  }

  /** Marks the whole server and each named service SERVING or NOT_SERVING. */
  setServing(state: ServingStatus): void {
    this.health.setStatus('', state);
    for (const s of this.o.serviceNames) this.health.setStatus(s, state);
  }

  override async createClient(): Promise<Server> {
    const server = new Server({
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
      ...(this.o.channelOptions ?? {}),
    });
    this.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(this.o.url, ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
    this.grpcServer = server;
    return server;
  }

  override async close(): Promise<void> {
    const server = this.grpcServer;
    if (!server) return;
    this.grpcServer = undefined;
    this.setServing('NOT_SERVING');
    const grace = this.o.shutdownGraceMs ?? 5000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, grace);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
