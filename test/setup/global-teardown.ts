import type { TestEnvironment } from '@offerstream/testing';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __offerstreamEnv?: TestEnvironment }).__offerstreamEnv?.stop();
}
