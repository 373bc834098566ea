import { randomBytes } from 'crypto';

/** A random (version 4) UUID as the 16 raw bytes Mesos expects in TaskStatus.uuid. */
export function randomUuidBytes(): Buffer {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}

/** The canonical 8-4-4-4-12 text form of 16 UUID bytes (any other length: plain hex). */
export function uuidToString(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  if (hex.length !== 32) return hex;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
