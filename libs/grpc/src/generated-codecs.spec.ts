import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import {
  Event,
  EventType,
  IngestRequest,
  IngestResponse,
  IngestStatus,
  SERVICE_DEFINITIONS,
} from '@offerstream/contracts';
import { useGeneratedCodecs } from './grpc.server';

const root = join(__dirname, '..', '..', '..', 'proto');

function loadPackage() {
  return loadSync(['offerstream/v1/events.proto', 'offerstream/v1/features.proto'], {
    includeDirs: [root],
    keepCase: false,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
}

describe('useGeneratedCodecs', () => {
  it('decodes requests straight into the generated types and encodes responses from them', () => {
    const pkg = loadPackage();
    expect(useGeneratedCodecs(pkg, SERVICE_DEFINITIONS)).toBe(2); // Ingest + GetFeatures
    const ingest = (
      pkg['offerstream.v1.IngestService'] as Record<
        string,
        { requestDeserialize: (b: Buffer) => unknown; responseSerialize: (v: unknown) => Buffer }
      >
    ).Ingest!;
    const when = new Date(Date.UTC(2026, 10, 25, 12));
    const bytes = Buffer.from(
      IngestRequest.encode({
        events: [
          Event.fromPartial({ eventId: 'e1', type: EventType.EVENT_TYPE_VIEW, eventTime: when }),
        ],
      }).finish(),
    );
    const req = ingest.requestDeserialize(bytes) as IngestRequest;
    expect(req.events[0]!.eventTime).toEqual(when); // a Date, not {seconds, nanos}
    const res: IngestResponse = {
      results: [
        {
          eventId: 'e1',
          index: 0,
          status: IngestStatus.INGEST_STATUS_ACCEPTED,
          reason: 0,
          detail: '',
        },
      ],
      acceptedCount: 1,
      duplicateCount: 0,
      rejectedCount: 0,
    };
    expect(IngestResponse.decode(ingest.responseSerialize(res))).toEqual(res);
  });

  it('still answers a handler that returns a partial object', () => {
    const pkg = loadPackage();
    useGeneratedCodecs(pkg, SERVICE_DEFINITIONS);
    const ingest = (
      pkg['offerstream.v1.IngestService'] as Record<
        string,
        { responseSerialize: (v: unknown) => Buffer }
      >
    ).Ingest!;
    expect(
      IngestResponse.decode(ingest.responseSerialize({ acceptedCount: 2 })).acceptedCount,
    ).toBe(2);
  });
});
