import { isUnconfirmedWrite } from './offerstream.adapter';

describe('isUnconfirmedWrite', () => {
  it('is a campaign write the service could not confirm (UNAVAILABLE, CAMPAIGN_WRITE_FAILED)', () => {
    const details =
      'CAMPAIGN_WRITE_FAILED: campaign change was written but not confirmed in time; read it back before retrying';
    expect(isUnconfirmedWrite({ code: 14, details })).toBe(true);
    expect(isUnconfirmedWrite({ code: 14, message: `14 UNAVAILABLE: ${details}` })).toBe(true);
  });

  it('is no other failure', () => {
    expect(isUnconfirmedWrite({ code: 14, details: 'connection refused' })).toBe(false);
    expect(isUnconfirmedWrite({ code: 3, details: 'CAMPAIGN_WRITE_FAILED' })).toBe(false);
    expect(isUnconfirmedWrite(new Error('boom'))).toBe(false);
    expect(isUnconfirmedWrite(undefined)).toBe(false);
  });
});
