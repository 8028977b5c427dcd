// The network lane of `npm test` (test/lanes.cjs).
module.exports = require('./lanes.cjs').network;
