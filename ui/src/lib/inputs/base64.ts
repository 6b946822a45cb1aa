// Bytes → base64 for IPC (image inputs and the mask cross as text), in chunks so a large
// image does not overflow the argument list of String.fromCharCode.
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}
