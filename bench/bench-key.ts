import { hmacKeyFromBytes } from '../src/secrets/hmac-key.js';

/** The benchmark's own HMAC key: fixed, so runs fingerprint alike; never an installation's key. */
export const BENCH_KEY = hmacKeyFromBytes(Buffer.alloc(32, 7));

/** BENCH_KEY as a run or a `serve` process reads it from the environment. */
export const BENCH_KEY_ENV = { AUDITLINE_HMAC_KEY: Buffer.from(BENCH_KEY.material.reveal()).toString('hex') };
