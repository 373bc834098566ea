export * from './range';
export * from './precision';
export * from './range-sum';
export * from './accumulator';
export * from './certify';
