export * from './client-ip';
export * from './rate-limit';
export * from './session';
