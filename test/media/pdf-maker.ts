/**
 * A one-page PDF holding a JPEG as it is (DCTDecode), the way scanning apps and "print to PDF"
 * of a photo make them: the camera's EXIF, IPTC and XMP travel inside the image stream.
 */
import { writeFile } from 'node:fs/promises';

function jpegSize(jpeg: Buffer): { width: number; height: number } {
  for (let i = 2; i + 9 < jpeg.length;) {
    const marker = jpeg[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    }
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  throw new Error('no SOF in the JPEG');
}

export async function writePdfWithJpeg(file: string, jpeg: Buffer, text: string): Promise<void> {
  const { width, height } = jpegSize(jpeg);
  const content = Buffer.from(`q 400 0 0 ${Math.round((400 * height) / width)} 97 300 cm /Im1 Do Q BT /F1 18 Tf 97 250 Td (${text}) Tj ET`, 'latin1');
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>'),
    Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpeg.length} >>\nstream\n`), jpeg, Buffer.from('\nendstream')]),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    offsets.push(length);
    parts.push(obj);
    length += obj.length;
  });
  const xref = ['xref', `0 ${objects.length + 1}`, '0000000000 65535 f ', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `)].join('\n');
  parts.push(Buffer.from(`${xref}\ntrailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  await writeFile(file, Buffer.concat(parts));
}

/** The bytes of a JPEG from its first scan (SOS) on: its image data. */
export function scanData(jpeg: Buffer): Buffer {
  for (let i = 2; i + 4 < jpeg.length;) {
    if (jpeg[i + 1] === 0xda) return jpeg.subarray(i);
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  throw new Error('no SOS in the JPEG');
}
