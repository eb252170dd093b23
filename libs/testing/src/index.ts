export { dockerEngineAnswers, resolveTestEnvironment } from './environment';
export type { TestEnvironment } from './environment';
export { expectEventually, uniqueName } from './waiting';
