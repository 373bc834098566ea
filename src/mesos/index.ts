// The Mesos v1 HTTP client library: one import for its public parts.
export * from './types';
export * from './codec';
export * from './recordio';
export * from './backoff';
export * from './duration';
export * from './uuid';
export * from './credentials';
export * from './transport';
export * from './detector';
export * from './resources';
export * from './scheduler';
export * from './executor';
export * from './operator';
