import t from 'tap';
import { cleanFilename } from '../../src/services/filenames.js';

t.test('keeps Arabic and emoji names, in NFC', async (t) => {
  t.equal(cleanFilename('صورة المؤتمر 🎉.jpg'), 'صورة المؤتمر 🎉.jpg');
  t.equal(cleanFilename('👨‍👩‍👧 family.heic'), '👨‍👩‍👧 family.heic', 'zero-width joiners inside emoji stay');
  t.equal(cleanFilename('cafe\u0301.png'), 'caf\u00e9.png', 'decomposed é composed');
  t.equal(cleanFilename('\u0627\u0653.jpg'), '\u0622.jpg', 'alef + madda above composed to آ');
});

t.test('removes bidi controls that could disguise the extension', async (t) => {
  t.equal(cleanFilename('invoice\u202Egpj.exe'), 'invoicegpj.exe');
  for (const c of ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C']) {
    const cp = c.codePointAt(0)!.toString(16).toUpperCase();
    t.equal(cleanFilename(`a${c}b.jpg`), 'ab.jpg', `U+${cp} removed`);
  }
});

t.test('removes C0 and C1 control characters and DEL', async (t) => {
  for (const c of ['\u0000', '\u0007', '\t', '\n', '\r', '\u001B', '\u001F', '\u007F', '\u0080', '\u0085', '\u009F']) {
    const cp = c.codePointAt(0)!.toString(16).toUpperCase();
    t.equal(cleanFilename(`a${c}b.jpg`), 'ab.jpg', `U+${cp} removed`);
  }
});

t.test('drops directory parts given with / or \\', async (t) => {
  t.equal(cleanFilename('../../etc/passwd'), 'passwd');
  t.equal(cleanFilename('C:\\Users\\Sara\\DCIM\\IMG_0001.JPG'), 'IMG_0001.JPG');
  t.equal(cleanFilename('a/b\\c/صورة.jpg'), 'صورة.jpg');
  t.equal(cleanFilename('/abs/path.png'), 'path.png');
});

t.test('caps a name at 255 code points without splitting a surrogate pair', async (t) => {
  const long = cleanFilename(`a${'😀'.repeat(300)}`);
  t.equal([...long].length, 255);
  t.equal(long, `a${'😀'.repeat(254)}`, 'ends on a whole emoji');
  const twoHundred = '😀'.repeat(200);
  t.equal(cleanFilename(twoHundred), twoHundred, '200 emoji are 400 UTF-16 units but only 200 code points: kept whole');
  t.equal(cleanFilename('x'.repeat(255)), 'x'.repeat(255));
  t.equal(cleanFilename('x'.repeat(256)), 'x'.repeat(255));
});

t.test('names nothing, ".", ".." and names made only of removed parts "upload"', async (t) => {
  for (const raw of [undefined, '', '.', '..', '   ', '/', 'photos/', 'a/..', 'a\\.', '\u202E', '\u0000\u200F']) {
    t.equal(cleanFilename(raw), 'upload', JSON.stringify(raw));
  }
});
