export * from './config-schema.js';
export * from './resolve-config.js';
export * from './config-warnings.js';
export * from './tls-options.js';
