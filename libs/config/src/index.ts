export { ConfigError, describeConfig, loadConfig } from './config';
export type { ConfigIssue, ConfigOf, EnvDoc, EnvSpec, EnvVar } from './config';
export { env } from './vars';
