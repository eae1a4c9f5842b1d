import { hmacKeyFromBytes } from '../src/secrets/hmac-key.js';

/** The benchmark's own HMAC key: fixed, so runs fingerprint alike; never an installation's key. */
export const BENCH_KEY = hmacKeyFromBytes(Buffer.alloc(32, 7));
