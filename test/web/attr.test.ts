import t from 'tap';
import { attrUrl } from '../../src/web/attr.js';

t.test('rendition URLs pass as they are; anything that could leave the attribute is escaped', async (t) => {
  t.equal(attrUrl('/media/448b32c8-6ece-4071-a99d-61da04967ab6/thumb.webp?v=mx26kob1 400w, /media/x/medium.webp?v=a 1024w'),
    '/media/448b32c8-6ece-4071-a99d-61da04967ab6/thumb.webp?v=mx26kob1 400w, /media/x/medium.webp?v=a 1024w');
  t.equal(attrUrl('https://gallery.example.org:8443/media/a/hls/master.m3u8?v=1'), 'https://gallery.example.org:8443/media/a/hls/master.m3u8?v=1');
  t.equal(attrUrl('/x?a=1&b=2'), '/x?a&#61;1&#38;b&#61;2', 'an ampersand is escaped (and with it the whole value)');
  t.equal(attrUrl('/x" onerror="alert(1)'), '/x&#34; onerror&#61;&#34;alert(1)');
  t.equal(attrUrl("/x' y"), '/x&#39; y');
  t.equal(attrUrl('/x><script>'), '/x&#62;&#60;script&#62;');
});

t.test('JSON inside a script element cannot close it', async (t) => {
  const { scriptJson } = await import('../../src/web/layout.js');
  const out = scriptJson({ s: '</script><script>alert(1)</script>', l: 'a\u2028b' });
  t.notMatch(out, /<\/script/i);
  t.notMatch(out, /\u2028/);
  t.same(JSON.parse(out), { s: '</script><script>alert(1)</script>', l: 'a\u2028b' });
});
