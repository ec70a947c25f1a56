'use strict';
// The native module is built by `scripts/build-bindings node` (cargo build -p computestream-node).
module.exports = require('./computestream.node');
