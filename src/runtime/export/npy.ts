// NumPy's .npy format (version 1.0), written directly: the exported projects read their data and
// weights with numpy.load alone, and the format is short enough not to need a dependency.
// Layout: magic "\x93NUMPY", version 1.0, little-endian header length, a Python dict literal
// padded with spaces to a multiple of 64 bytes and ending in "\n", then the raw C-order data.

export type NpyData = Uint8Array | Float32Array | BigInt64Array | Int32Array;

function descr(data: NpyData): string {
    if (data instanceof Uint8Array) return '|u1';
    if (data instanceof Float32Array) return '<f4';
    if (data instanceof Int32Array) return '<i4';
    return '<i8';
}

export function npyBytes(data: NpyData, shape: number[]): Uint8Array {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`npy: shape [${shape.join(', ')}] holds ${count} values, the data has ${data.length}`);
    const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let header = `{'descr': '${descr(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
    const unpadded = 10 + header.length + 1;
    header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
    const out = new Uint8Array(10 + header.length + data.byteLength);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
    new DataView(out.buffer).setUint16(8, header.length, true);
    out.set(new TextEncoder().encode(header), 10);
    // Typed arrays are in the platform's byte order; every platform Node runs on is little-endian.
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
    return out;
}
