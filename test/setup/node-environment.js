/* The node test environment, with the process's own typed arrays and ArrayBuffer as the
 * sandbox's. Native addons (onnxruntime-node) create their output arrays in the process's
 * realm and check inputs with `instanceof` against it; with jest's default per-file realm a
 * Float32Array from the test is "not a Float32Array" to them. Buffer is already shared. */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = NodeEnvironment;
