/**
 * A minimal gRPC unary client over node:http2, for the benchmarks' open loops only.
 *
 * On the 2-core machine the load generator shares the cores with the service it measures:
 * grpc-js spends ~0.4 ms of CPU per call on the client side (call objects, filters, metadata,
 * deadline timers), and its event loop's delays are counted in every latency. This client
 * does only what the wire needs — POST with the gRPC headers, a length-prefixed message, the
 * answer's message and `grpc-status` — so the figures are closer to the service's own. The
 * benches print its figures next to grpc-js's (what a Node storefront would see).
 */
import {
  connect,
  constants,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
} from 'node:http2';

const {
  HTTP2_HEADER_METHOD,
  HTTP2_HEADER_PATH,
  HTTP2_HEADER_CONTENT_TYPE,
  HTTP2_HEADER_TE,
  HTTP2_METHOD_POST,
} = constants;

/** A gRPC error status from the server (or 13 INTERNAL / 4 DEADLINE_EXCEEDED locally). */
export class H2StatusError extends Error {
  constructor(
    readonly code: number,
    details: string,
  ) {
    super(`gRPC status ${code}: ${details}`);
  }
}

/** The 5-byte gRPC message prefix (uncompressed) followed by the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/**
 * One HTTP/2 connection to a gRPC server, making unary calls with pre-framed requests. A
 * session the server closed (e.g. GOAWAY after a storm of cancelled streams, Node's
 * rapid-reset guard) is reopened on the next call, as a grpc-js channel reconnects.
 */
export class H2UnaryChannel {
  private session: ClientHttp2Session;
  private closedByUs = false;

  constructor(private readonly address: string) {
    this.session = this.open();
  }

  private open(): ClientHttp2Session {
    const session = connect(`http://${this.address}`, {
      // Big windows: answers of ~10 KB at 1,000/s must not wait for WINDOW_UPDATEs.
      settings: { initialWindowSize: 1 << 22, enablePush: false },
    });
    session.on('error', () => undefined); // a call on a dead session fails by itself
    session.on('connect', () => session.setLocalWindowSize(1 << 24));
    return session;
  }

  /**
   * Calls `path` (`/package.Service/Method`) with `frame` (from {@link grpcFrame}); resolves
   * with the answer's message bytes, rejects with {@link H2StatusError} on a non-zero status.
   */
  call(path: string, frame: Buffer, deadlineMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let stream;
      try {
        if (!this.closedByUs && (this.session.closed || this.session.destroyed))
          this.session = this.open();
        stream = this.session.request({
          [HTTP2_HEADER_METHOD]: HTTP2_METHOD_POST,
          [HTTP2_HEADER_PATH]: path,
          [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
          [HTTP2_HEADER_TE]: 'trailers',
          'grpc-timeout': `${Math.max(1, Math.round(deadlineMs))}m`,
        });
      } catch (err) {
        reject(new H2StatusError(14, err instanceof Error ? err.message : String(err)));
        return;
      }
      const chunks: Buffer[] = [];
      let status: number | undefined;
      let message = '';
      const readStatus = (h: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
        const s = h['grpc-status'];
        if (s !== undefined) {
          status = Number(s);
          message = String(h['grpc-message'] ?? '');
        }
      };
      // As grpc-js does: the caller gives up at its deadline (status 4), answer or not.
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new H2StatusError(4, `deadline of ${deadlineMs} ms exceeded (client side)`));
      }, deadlineMs);
      stream.on('response', readStatus); // a trailers-only answer carries the status here
      stream.on('trailers', readStatus);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', () => undefined); // reported through 'close' below
      stream.on('close', () => {
        clearTimeout(timer);
        if (settled) return;
        if (status === undefined) {
          reject(new H2StatusError(13, `stream closed without a status (${stream.rstCode})`));
          return;
        }
        if (status !== 0) {
          reject(new H2StatusError(status, decodeURIComponent(message)));
          return;
        }
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) {
          reject(new H2StatusError(13, `answer of ${body.length} bytes is not one gRPC message`));
          return;
        }
        resolve(body.subarray(5));
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.closedByUs = true;
    this.session.close();
  }
}

/** `n` channels to `address` (calls spread over them round robin by the caller). */
export function h2Channels(address: string, n: number): H2UnaryChannel[] {
  return Array.from({ length: n }, () => new H2UnaryChannel(address));
}
