// Image bytes cross IPC as base64 (`ImageBase64`): one string, 4/3 of the bytes, where a
// JSON array of numbers was ~3.6 characters a byte and slow to build and parse.

/** Standard, padded base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (typeof native === 'function') return native.call(bytes);
  // btoa takes a "binary string"; build it in chunks (one char per byte) so a large
  // image neither overflows the argument limit of fromCharCode nor builds a huge array.
  const CHUNK = 0x8000;
  let bin = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(bin);
}
