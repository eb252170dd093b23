import { env } from '@offerstream/config';
import { configReference } from './run-service';

describe('configReference', () => {
  it('renders every variable with its default or requirement and marks secrets', () => {
    const md = configReference('demo', {
      A_PORT: env.port({ doc: 'a port', default: '1' }),
      B_URL: env.url({ doc: 'a | url', protocols: ['http'] }),
      C_PASSWORD: env.string({ doc: 'pw', optional: true, secret: true }),
    });
    expect(md).toContain('## demo');
    expect(md).toContain('| `A_PORT` | `1` | a port |');
    expect(md).toContain('| `B_URL` | required | a \\| url |');
    expect(md).toContain('| `C_PASSWORD` | optional | pw (secret) |');
  });
});
