import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type CallOptions,
  type ChannelOptions,
  type Client,
  type ClientUnaryCall,
  type MethodDefinition,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CampaignServiceService } from './gen/offerstream/v1/campaigns';
import { IngestServiceService } from './gen/offerstream/v1/events';
import { OfferServiceService } from './gen/offerstream/v1/offers';
import { FeatureServiceService, ScoringServiceService } from './float-codecs';

/** The proto package every offerstream service lives in. */
export const PROTO_PACKAGE = 'offerstream.v1';

/** Fully-qualified names of the gRPC services, as health checking and reflection report them. */
export const SERVICE_NAMES = {
  ingest: 'offerstream.v1.IngestService',
  offers: 'offerstream.v1.OfferService',
  campaigns: 'offerstream.v1.CampaignService',
  features: 'offerstream.v1.FeatureService',
  scoring: 'offerstream.v1.ScoringService',
} as const;
export type ServiceName = (typeof SERVICE_NAMES)[keyof typeof SERVICE_NAMES];

/**
 * The generated (ts-proto) definitions of every offerstream service: their binary codecs
 * decode straight into the generated message shapes (Dates for timestamps, numbers for
 * int64) and encode them back, with no intermediate protobufjs objects. FeatureService and
 * ScoringService come from float-codecs.ts: their float-heavy messages are encoded in bulk.
 */
export const SERVICE_DEFINITIONS: readonly ServiceDefinition[] = [
  IngestServiceService,
  OfferServiceService,
  CampaignServiceService,
  FeatureServiceService,
  ScoringServiceService,
];

/** The .proto files, relative to `protoRoot()`. */
export const PROTO_FILES = [
  'offerstream/v1/common.proto',
  'offerstream/v1/events.proto',
  'offerstream/v1/campaigns.proto',
  'offerstream/v1/offers.proto',
  'offerstream/v1/features.proto',
  'offerstream/v1/scoring.proto',
  'offerstream/v1/decisions.proto',
  'offerstream/v1/models.proto',
] as const;

/** Directory holding proto/offerstream/v1 (the repo's proto/ folder, or OFFERSTREAM_PROTO_ROOT). */
export function protoRoot(): string {
  const fromEnv = process.env.OFFERSTREAM_PROTO_ROOT;
  const root = fromEnv ? resolve(fromEnv) : resolve(__dirname, '..', '..', '..', 'proto');
  if (!existsSync(join(root, PROTO_FILES[0]))) {
    throw new Error(`proto files not found under ${root}; set OFFERSTREAM_PROTO_ROOT`);
  }
  return root;
}

/** A grpc-js client whose unary methods are typed from a generated service definition. */
export type GrpcClientOf<S extends ServiceDefinition> = Client & {
  [K in keyof S]: S[K] extends MethodDefinition<infer Req, infer Res>
    ? (
        request: Req,
        metadata: Metadata,
        options: Partial<CallOptions>,
        callback: (err: ServiceError | null, response?: Res) => void,
      ) => ClientUnaryCall
    : never;
};

/**
 * A typed grpc-js client for a generated service definition, e.g.
 * `grpcClient(OfferServiceService, SERVICE_NAMES.offers, '127.0.0.1:50054')`.
 */
export function grpcClient<S extends ServiceDefinition>(
  service: S,
  name: string,
  address: string,
  options: ChannelOptions = {},
): GrpcClientOf<S> {
  const Ctor = makeGenericClientConstructor(service, name);
  // Channelz (per-call counters and timestamps for a debug service we do not expose) is off.
  return new Ctor(address, credentials.createInsecure(), {
    'grpc.enable_channelz': 0,
    ...options,
  }) as unknown as GrpcClientOf<S>;
}

/** Calls a unary method and resolves with its response; `deadlineMs` sets the gRPC deadline. */
export function callUnary<Req, Res>(
  method: (
    request: Req,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (err: ServiceError | null, response?: Res) => void,
  ) => ClientUnaryCall,
  request: Req,
  opts: { deadlineMs?: number; metadata?: Metadata } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const options: Partial<CallOptions> =
      opts.deadlineMs !== undefined ? { deadline: new Date(Date.now() + opts.deadlineMs) } : {};
    method(request, opts.metadata ?? new Metadata(), options, (err, res) => {
      if (err) reject(err);
      else resolve(res as Res);
    });
  });
}
