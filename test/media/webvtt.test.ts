import t from 'tap';
import webvtt from 'webvtt-parser';
import { escapeCueText, srtToWebVtt, timestamp, toWebVtt } from '../../src/media/webvtt.js';

const { WebVTTParser } = webvtt;

/** What the W3C validator says of a WebVTT text: no error at all for what Lamha stores. */
function conformanceErrors(vtt: string): string[] {
  return new WebVTTParser().parse(vtt, 'subtitles').errors.map((e) => `line ${e.line}: ${e.message}`);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

t.test('converts an Arabic SRT with a BOM and CRLF to WebVTT, text intact', async (t) => {
  const srt = '\uFEFF1\r\n00:00:01,000 --> 00:00:03,500\r\nمرحباً بكم في المؤتمر\r\nأهلاً وسهلاً\r\n\r\n2\r\n00:00:04,000 --> 00:01:02,005\r\n<i>شكراً</i> لكم\r\n';
  const out = toWebVtt(Buffer.from(srt, 'utf8'));
  t.equal(out.format, 'srt');
  t.equal(out.cues, 2);
  t.equal(out.vtt, 'WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nمرحباً بكم في المؤتمر\nأهلاً وسهلاً\n\n00:00:04.000 --> 00:01:02.005\n<i>شكراً</i> لكم\n');
  t.same(conformanceErrors(out.vtt), []);
});

t.test('SRT: counters dropped, <font> and {\\an8} overrides removed, a short fraction read as decimals, coordinates ignored', async (t) => {
  const vtt = srtToWebVtt('7\n0:00:01,5 --> 0:00:02,25 X1:10 X2:20 Y1:5 Y2:9\n{\\an8}<font color="#ffff00">Top</font>\n');
  t.equal(vtt, 'WEBVTT\n\n00:00:01.500 --> 00:00:02.250\nTop\n');
});

t.test('WebVTT markup, settings, ids and RTL marks pass through; NOTE, STYLE and header lines do not', async (t) => {
  const input = [
    'WEBVTT - Lamha', 'Kind: captions', 'Language: ar', '',
    'STYLE', '::cue { background: url(https://tracker.example/px.png) }', '',
    'NOTE written by hand', '',
    'intro', '00:01.000 --> 00:02.500 align:start line:10% position:20%,line-left size:50%',
    '<c.yellow.big>Hi</c> <v.loud Ahmed &amp; Sara>hello</v> <b>bold <i>it</i></b> <u>u</u>',
    '<lang ckb>سڵاو</lang> &rlm;مرحبا <ruby>漢<rt>kan</rt></ruby> <00:00:02.000>later', '',
    '00:00:03.000 --> 00:00:04.000 vertical:rl line:-1,end', '&lt;3 &amp; &#x1F600; &eacute;', '',
  ].join('\n');
  const out = toWebVtt(Buffer.from(input));
  t.equal(out.format, 'webvtt');
  t.equal(out.vtt, [
    'WEBVTT', '',
    'intro', '00:00:01.000 --> 00:00:02.500 line:10% position:20%,line-left size:50% align:start',
    '<c.yellow.big>Hi</c> <v.loud Ahmed &amp; Sara>hello</v> <b>bold <i>it</i></b> <u>u</u>',
    '<lang ckb>سڵاو</lang> \u200Fمرحبا <ruby>漢<rt>kan</rt></ruby> <00:00:02.000>later', '',
    '00:00:03.000 --> 00:00:04.000 vertical:rl line:-1,end', '&lt;3 &amp; 😀 é', '',
  ].join('\n'));
  t.same(conformanceErrors(out.vtt), []);
});

t.test('a <script> in a cue, and any < or & that is not WebVTT markup, becomes text', async (t) => {
  const out = toWebVtt(Buffer.from('WEBVTT\n\n00:00.000 --> 00:01.000\n<script>alert("x")</script> <img src=x onerror=alert(1)> 1 < 2 && Tom & Jerry &bogus;\n'));
  t.equal(out.vtt, 'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n&lt;script&gt;alert("x")&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; 1 &lt; 2 &amp;&amp; Tom &amp; Jerry &amp;bogus;\n');
  t.same(conformanceErrors(out.vtt), []);
  t.equal(escapeCueText('<b>ok</b> <B>no</B> <c.a<b>x'), '<b>ok</b> &lt;B>no&lt;/B> &lt;c.a<b>x');
  t.equal(escapeCueText('&#60;&#38;&#10;&#xD800;'), '&lt;&amp;&amp;#10;&amp;#xD800;', 'no controls or surrogates from references');
});

t.test('markup the parser drops leaves no empty line behind, and unclosed tags are closed', async (t) => {
  const out = toWebVtt(Buffer.from('WEBVTT\n\n00:00.000 --> 00:05.000\none <b>bold\n</i>\n<rt>\n<00:00:09.000>\ntwo <v>nobody</v>\n'));
  t.equal(out.vtt, 'WEBVTT\n\n00:00:00.000 --> 00:00:05.000\none <b>bold\ntwo nobody</b>\n');
  t.same(conformanceErrors(out.vtt), []);
});

t.test('cues come out in time order; unknown settings are dropped', async (t) => {
  const out = toWebVtt(Buffer.from('WEBVTT\n\n00:05.000 --> 00:06.000 region:r1\nsecond\n\n00:01.000 --> 00:02.000\nfirst\n'));
  t.equal(out.vtt, 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfirst\n\n00:00:05.000 --> 00:00:06.000\nsecond\n');
});

t.test('refuses what is not valid, with a stable code', async (t) => {
  const invalid: [string, string | Buffer][] = [
    ['end before start (WebVTT)', 'WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nx\n'],
    ['end equal to start (SRT)', '1\n00:00:05,000 --> 00:00:05,000\nx\n'],
    ['end before start (SRT)', '1\n00:00:05,000 --> 00:00:04,000\nx\n'],
    ['seconds past 59 (SRT)', '1\n00:00:75,000 --> 00:00:80,000\nx\n'],
    ['garbage', 'hello, this is not a subtitle file\n'],
    ['random bytes that are valid UTF-8', Buffer.from('WEBVTT\n\n\u0001\u0002 --> zz\n')],
    ['malformed timestamp', 'WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nan SRT timing in WebVTT\n'],
    ['empty', ''],
    ['blank', '\uFEFF\r\n \r\n'],
    ['no cues', 'WEBVTT\n\nNOTE nothing here\n'],
    ['a stray line', 'WEBVTT\n\nstray\n\n00:00.000 --> 00:01.000\nx\n'],
    ['missing blank line in SRT', '1\n00:00:01,000 --> 00:00:02,000\na\n2\n00:00:03,000 --> 00:00:04,000\nb\n'],
    ['timestamp in a NOTE', 'WEBVTT\n\nNOTE\n00:00.000 --> 00:01.000\n'],
  ];
  for (const [name, input] of invalid) {
    t.equal(codeOf(() => toWebVtt(typeof input === 'string' ? Buffer.from(input) : input)), 'LAMHA_INVALID_SUBTITLES', name);
  }
  // "مرحبا" in Windows-1256, the usual encoding of Arabic SRT files from older tools
  t.equal(codeOf(() => toWebVtt(Buffer.from([0x31, 0x0a, 0xe3, 0xd1, 0xcd, 0xc8, 0xc7, 0x0a]))), 'LAMHA_NOT_UTF8');
  t.equal(codeOf(() => toWebVtt(Buffer.from([0xff, 0xfe, 0x57, 0x00]))), 'LAMHA_NOT_UTF8', 'UTF-16');
});

t.test('the error message names the line', async (t) => {
  try {
    toWebVtt(Buffer.from('WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:09.000 --> 00:00:03.000\nbad\n'));
    t.fail('accepted');
  } catch (err) {
    t.match((err as Error).message, /line 6: End timestamp is not greater than start timestamp/);
  }
});

t.test('timestamps are written with hours, past 99 hours too', async (t) => {
  t.equal(timestamp(0), '00:00:00.000');
  t.equal(timestamp(3_723_004), '01:02:03.004');
  t.equal(timestamp(360_000_000), '100:00:00.000');
});
