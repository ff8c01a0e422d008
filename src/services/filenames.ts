/**
 * A client's filename is data, shown to editors; it never becomes a key or a path. What is
 * kept: the name in NFC, without directory parts, control characters or bidi overrides
 * (which can make "gpj.exe" read as "exe.jpg").
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// C0 and C1 control characters and DEL
const CONTROLS = /[\u0000-\u001F\u007F-\u009F]/g;
const MAX_CODE_POINTS = 255;

export function cleanFilename(raw: string | undefined): string {
  let name = (raw ?? '').normalize('NFC').replace(BIDI_CONTROLS, '').replace(CONTROLS, '');
  name = name.split(/[\\/]/).pop() ?? '';
  name = name.trim();
  const points = [...name];
  if (points.length > MAX_CODE_POINTS) name = points.slice(0, MAX_CODE_POINTS).join('');
  return name === '' || name === '.' || name === '..' ? 'upload' : name;
}
