// Public surface of @atelier/protocol.
export * from './api.js';
export * from './auth-provider-api.js';
export * from './config.js';
export * from './context/index.js';
export * from './context-url.js';
export * from './env.js';
export * from './errors.js';
export * from './ids.js';
export * from './images.js';
export * from './phases.js';
export * from './supervisor.js';
export * from './system-env.js';
export * from './terminal-text.js';
export * from './units.js';
export * from './urls.js';
export * from './workspace-api.js';
export * from './workspace-config/index.js';
