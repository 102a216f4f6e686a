/** FNV-1a, 32 bits, of a text's UTF-16 code units: a fast, stable hash (not for secrets) for splits, samples and seeds. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
