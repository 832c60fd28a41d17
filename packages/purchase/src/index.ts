export * from './checkout';
export * from './errors';
export * from './stripe';
export * from './webhooks';
