export { makeRig } from './harness';
export { waitFor } from './fixtures';
