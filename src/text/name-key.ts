/**
 * How display names are compared: whatever the case, the Unicode form (an "é" typed as one
 * character or as "e" and an accent) and runs of spaces.
 */
export function nameKey(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}
