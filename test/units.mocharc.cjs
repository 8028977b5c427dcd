// The unit lane of `npm test` (test/lanes.cjs).
module.exports = require('./lanes.cjs').units;
