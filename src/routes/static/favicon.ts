/**
 * /favicon.ico: browsers ask for it on every site whatever the page links, and a 404 there is
 * an error in every visitor's console. A 32×32 PNG of Lamha's mark in an ICO container (every
 * browser since IE takes PNG inside ICO), drawn once at start-up by sharp.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';

/** A glimpse: an eye's outline around a dot, on the gallery's dark ground. */
const MARK = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
<rect width="32" height="32" rx="7" fill="#1d3b53"/>
<path d="M4 16c3.5-5.5 7.5-8 12-8s8.5 2.5 12 8c-3.5 5.5-7.5 8-12 8s-8.5-2.5-12-8z" fill="none" stroke="#f4efe6" stroke-width="2.4"/>
<circle cx="16" cy="16" r="4.2" fill="#e0a43a"/>
</svg>`;

export interface Favicon {
  body: Buffer;
  etag: string;
}

export async function renderFavicon(): Promise<Favicon> {
  const png = await sharp(Buffer.from(MARK)).png().toBuffer();
  // ICONDIR (6 bytes) + one ICONDIRENTRY (16 bytes) + the PNG
  const head = Buffer.alloc(22);
  head.writeUInt16LE(0, 0); // reserved
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(1, 4); // one image
  head.writeUInt8(32, 6); // width
  head.writeUInt8(32, 7); // height
  head.writeUInt8(0, 8); // no palette
  head.writeUInt8(0, 9); // reserved
  head.writeUInt16LE(1, 10); // colour planes
  head.writeUInt16LE(32, 12); // bits per pixel
  head.writeUInt32LE(png.length, 14); // size of the image data
  head.writeUInt32LE(22, 18); // where it starts
  const body = Buffer.concat([head, png]);
  return { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` };
}
