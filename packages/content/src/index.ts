export * from './access';
export * from './authorization';
export * from './content';
export * from './media';
export * from './publisher';
export * from './signing';
export * from './storage';
