export * from './members';
export * from './membership';
export * from './organizations';
