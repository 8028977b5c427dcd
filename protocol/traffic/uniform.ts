// Uniform sources now live in protocol/crypto/random.ts, the one random
// module of protocol/. This re-export keeps the node and client imports of
// this path working until those layers import the new module (issue 10).

export { cryptoUniform, type Uniform } from '../crypto/random.js';
