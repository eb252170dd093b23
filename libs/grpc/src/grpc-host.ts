import {
  Server,
  ServerCredentials,
  status,
  type ChannelOptions,
  type MethodDefinition,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedHandleCall,
} from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import {
  HealthImplementation,
  protoPath as healthProtoPath,
  type ServingStatus,
} from 'grpc-health-check';
import { remainingMs } from './deadline';
import { toGrpcError, type GrpcStatusMapper } from './grpc-errors';

/** Nest's metadata key for message patterns (what ts-proto's *ControllerMethods() decorators set). */
const PATTERN_METADATA = 'microservices:pattern';

interface GrpcPattern {
  readonly service: string;
  readonly rpc: string;
}

type AnyMethod = MethodDefinition<unknown, unknown>;

export interface GrpcHostOptions {
  /** host:port; port 0 picks a free port (read `port` after listen). */
  readonly url: string;
  /** .proto files (for reflection; the health proto is added). */
  readonly protoPath: readonly string[];
  readonly includeDirs: readonly string[];
  /** Fully-qualified names of the services served, e.g. 'offerstream.v1.OfferService'. */
  readonly serviceNames: readonly string[];
  /** Generated (ts-proto) definitions: their codecs decode requests and encode answers. */
  readonly definitions: readonly ServiceDefinition[];
  readonly mappers: readonly GrpcStatusMapper[];
  readonly channelOptions?: ChannelOptions;
  /** How long close() waits for in-flight calls before cancelling them. */
  readonly shutdownGraceMs?: number;
  /** Told about every finished call (metrics). */
  readonly onCall?: (method: string, code: status, seconds: number) => void;
  /** Told about every unexpected error (it went out as INTERNAL). */
  readonly onUnexpected?: (err: unknown, method: string) => void;
}

interface Subscribable {
  subscribe(o: { next(v: unknown): void; error(e: unknown): void; complete(): void }): {
    unsubscribe(): void;
  };
}
const isSubscribable = (v: unknown): v is Subscribable =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { subscribe?: unknown }).subscribe === 'function';

/** The grpc-js server options every service starts with (before its own `channelOptions`). */
export const SERVER_OPTIONS = {
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
  // Channelz keeps per-call counters and timestamps for a debug service not served here.
  'grpc.enable_channelz': 0,
} as const;

/**
 * The gRPC server of an offerstream service: grpc-js with the generated codecs, calling
 * the controllers' methods directly — no per-call framework pipeline (Nest's RxJS chain
 * cost more CPU per call than the work of the hot RPCs). Each call: refused at once when
 * its deadline has passed, abandoned at the deadline (an Observable is unsubscribed),
 * domain errors mapped to their status with the reason in trailers, anything else sent
 * as INTERNAL. Plus grpc.health.v1, reflection (grpcurl) and a graceful close.
 */
export class GrpcHost {
  readonly health: HealthImplementation;
  private readonly server: Server;
  private readonly pkg: PackageDefinition;
  private readonly handlers = new Map<string, Record<string, UntypedHandleCall>>();
  private boundPort: number | undefined;

  constructor(private readonly o: GrpcHostOptions) {
    this.server = new Server({ ...SERVER_OPTIONS, ...(o.channelOptions ?? {}) });
    this.pkg = loadSync([...o.protoPath, healthProtoPath], {
      includeDirs: [...o.includeDirs],
      keepCase: false,
      longs: Number,
      enums: Number,
      defaults: true,
      oneofs: true,
    });
    this.health = new HealthImplementation({
      '': 'NOT_SERVING',
      ...Object.fromEntries(o.serviceNames.map((s) => [s, 'NOT_SERVING' as const])),
    });
    this.health.addToServer(this.server);
    new ReflectionService(this.pkg, {
      services: [...o.serviceNames, 'grpc.health.v1.Health'],
    }).addToServer(this.server);
  }

  /**
   * Binds every method of `controller` that a ts-proto `*ControllerMethods()` decorator
   * marked; returns how many. Only services listed in `serviceNames` are served.
   */
  bind(controller: object): number {
    let n = 0;
    const proto = Object.getPrototypeOf(controller) as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(proto)) {
      const fn = proto[key];
      if (typeof fn !== 'function') continue;
      const patterns = Reflect.getMetadata(PATTERN_METADATA, fn) as GrpcPattern[] | undefined;
      for (const p of patterns ?? []) {
        if (typeof p?.service !== 'string' || typeof p.rpc !== 'string') continue;
        const full = this.o.serviceNames.find((s) => s.endsWith(`.${p.service}`));
        if (!full) continue;
        const path = `/${full}/${p.rpc}`;
        const def = this.findDefinition(path);
        if (!def) continue;
        const handlers = this.handlers.get(full) ?? {};
        handlers[def.key] = this.unary(controller, key);
        this.handlers.set(full, handlers);
        n++;
      }
    }
    return n;
  }

  private findDefinition(path: string): { key: string; method: AnyMethod } | undefined {
    for (const d of this.o.definitions)
      for (const [key, m] of Object.entries(d))
        // ts-proto's decorators name the rpc in camelCase ('getFeatures'), paths use 'GetFeatures'.
        if ((m as AnyMethod).path.toLowerCase() === path.toLowerCase())
          return { key, method: m as AnyMethod };
    return undefined;
  }

  /** The serializer proto-loader made for a method: encodes partial answers (fills defaults). */
  private loaderSerializer(path: string): ((v: unknown) => Buffer) | undefined {
    const [, service = '', rpc = ''] = path.split('/');
    const svc = this.pkg[service] as Record<string, AnyMethod> | undefined;
    if (!svc) return undefined;
    for (const m of Object.values(svc))
      if (m?.path === `/${service}/${rpc}`) return m.responseSerialize;
    return undefined;
  }

  private unary(controller: object, key: string): UntypedHandleCall {
    const target = controller as Record<string, (...a: unknown[]) => unknown>;
    const { mappers, onCall, onUnexpected } = this.o;
    const method = `${controller.constructor.name}.${key}`;
    const handler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const started = performance.now();
      let done = false;
      let cancel: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: unknown, value?: unknown) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        cancel?.();
        let code = status.OK;
        if (err !== undefined) {
          const { error, unexpected } = toGrpcError(err, mappers);
          if (unexpected) onUnexpected?.(err, method);
          code = error.code;
          callback(error);
        } else callback(null, value);
        onCall?.(method, code, (performance.now() - started) / 1000);
      };
      const left = remainingMs(call);
      if (left <= 0) {
        finish({
          code: status.DEADLINE_EXCEEDED,
          details: 'the call deadline passed before the answer was ready',
        });
        return;
      }
      if (Number.isFinite(left))
        timer = setTimeout(
          () =>
            finish({
              code: status.DEADLINE_EXCEEDED,
              details: 'the call deadline passed before the answer was ready',
            }),
          left,
        );
      let result: unknown;
      try {
        result = target[key]!.call(controller, call.request, call.metadata, call);
      } catch (err) {
        finish(err);
        return;
      }
      if (isSubscribable(result)) {
        let last: unknown;
        const sub = result.subscribe({
          next: (v) => (last = v),
          error: (e) => finish(e),
          complete: () => finish(undefined, last),
        });
        if (done) sub.unsubscribe();
        else cancel = () => sub.unsubscribe();
      } else if (result instanceof Promise)
        result.then(
          (v) => finish(undefined, v),
          (e) => finish(e),
        );
      else finish(undefined, result);
    };
    return handler as UntypedHandleCall;
  }

  /** Adds the bound services to the server and listens; resolves with the port. */
  async listen(): Promise<number> {
    for (const [name, handlers] of this.handlers) {
      const def = this.o.definitions.find((d) =>
        Object.values(d).some((m) => (m as AnyMethod).path.startsWith(`/${name}/`)),
      );
      if (!def) continue;
      const withFallback: Record<string, AnyMethod> = {};
      for (const [k, m] of Object.entries(def)) {
        const method = m as AnyMethod;
        const fallback = this.loaderSerializer(method.path);
        withFallback[k] = {
          ...method,
          // A handler may return a partial answer: proto-loader's serializer fills what the
          // generated one requires.
          responseSerialize: (v: unknown) => {
            try {
              return method.responseSerialize(v);
            } catch (err) {
              if (!fallback) throw err;
              return fallback(v);
            }
          },
        };
      }
      this.server.addService(withFallback, handlers);
    }
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(this.o.url, ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    return this.boundPort;
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('gRPC server is not listening yet');
    return this.boundPort;
  }

  /** Marks the whole server and each named service SERVING or NOT_SERVING. */
  setServing(state: ServingStatus): void {
    this.health.setStatus('', state);
    for (const s of this.o.serviceNames) this.health.setStatus(s, state);
  }

  /** NOT_SERVING, then waits for in-flight calls (up to the grace), then cancels the rest. */
  async close(): Promise<void> {
    this.setServing('NOT_SERVING');
    const grace = this.o.shutdownGraceMs ?? 5000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, grace);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
