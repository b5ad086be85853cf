/**
 * A model spec's weights as a safetensors file, built in the browser (no endpoint needed).
 *
 * The format: an 8-byte little-endian unsigned header length N, then N bytes of JSON
 * `{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`
 * (padded with spaces to a multiple of 8), then the raw little-endian float32 data of every
 * tensor, back to back; offsets count from the first data byte.
 */

/**
 * @param {unknown} v
 * @returns {v is number}
 */
const isFiniteNumber = (v) => typeof v === "number" && Number.isFinite(v);

/**
 * The shape of a nested array of numbers and its values in row-major order.
 * @param {unknown} value a number, or nested arrays of equal length
 * @param {string} name the tensor's name, for error messages
 * @returns {{shape: number[], values: number[]}}
 */
function flatten(value, name) {
  const shape = [];
  for (let level = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values = Array.isArray(value) ? value.flat(shape.length - 1) : [value];
  const expected = shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected || !values.every(isFiniteNumber)) {
    throw new Error(`tensor ${name} is ragged or holds a value that is not a finite number`);
  }
  return { shape, values };
}

/**
 * The safetensors bytes of a state_dict (float32, tensors in name order).
 * @param {Record<string, unknown>} stateDict PyTorch names → nested arrays of numbers
 * @param {Record<string, string>} [metadata] free-form string pairs stored in the header
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function safetensorsBytes(stateDict, metadata = {}) {
  const names = Object.keys(stateDict).sort();
  /** @type {Record<string, object>} */
  const header = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const tensors = names.map((name) => flatten(stateDict[name], name));
  let offset = 0;
  names.forEach((name, k) => {
    const size = 4 * tensors[k].values.length;
    header[name] = { dtype: "F32", shape: tensors[k].shape, data_offsets: [offset, offset + size] };
    offset += size;
  });
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaced = new Uint8Array(padded).fill(0x20);
    spaced.set(json);
    json = spaced;
  }
  const bytes = new Uint8Array(8 + json.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  let position = 8 + json.length;
  for (const { values } of tensors) {
    for (const v of values) {
      view.setFloat32(position, v, true);
      position += 4;
    }
  }
  return bytes;
}
