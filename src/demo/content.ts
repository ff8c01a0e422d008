/**
 * What the demo loads: one published event in Arabic, English and Kurmanji with an album per
 * day, photos and a video from the project's test fixtures (their sources and licences are in
 * test/fixtures/README.md), and subtitles written for the video (./subtitles).
 */
import type { Localized } from '../db/events.js';

export interface DemoItem {
  /** file name under test/fixtures */
  file: string;
  album: string;
  caption: Localized;
  credit: string;
  license: string;
  /** locale → file name under src/demo/subtitles (videos only) */
  subtitles?: Record<string, string>;
}

export const DEMO_EVENT = {
  slug: 'lamha-demo',
  locales: ['ar', 'en', 'ku'],
  defaultLocale: 'ar',
  startsOn: '2026-12-01',
  endsOn: '2026-12-02',
  title: {
    ar: 'لمحة: معرض تجريبي',
    en: 'Lamha: a demo gallery',
    ku: 'Lamha: galeriyeke nimûne',
  },
  description: {
    ar: 'حدث تجريبي يعرض ما يفعله «لمحة»: ألبومات بثلاث لغات، وصور بأحجام تناسب كل شاشة، وفيديو مع ترجمة. الصور والفيديو من ملفات الاختبار المفتوحة للمشروع.',
    en: 'A sample event showing what Lamha does: albums in three languages, photos sized for every screen, and a video with subtitles. The pictures and the video are open test files of the project.',
    ku: 'Bûyereke nimûne ku nîşan dide Lamha çi dike: albûm bi sê zimanan, wêne ji bo her ekranê, û vîdyoyek bi binnivîsan. Wêne û vîdyo pelên ceribandinê yên vekirî yên projeyê ne.',
  },
  venue: { ar: 'باريس', en: 'Paris', ku: 'Parîs' },
} as const;

export const DEMO_ALBUMS = [
  {
    slug: 'day-1',
    title: { ar: 'اليوم الأول', en: 'Day 1', ku: 'Roja yekem' },
    caption: {
      ar: 'الافتتاح والجلسات الأولى واستراحة الغداء.',
      en: 'The opening, the first sessions and the lunch break.',
      ku: 'Vekirin, rûniştinên pêşîn û navbera firavînê.',
    },
  },
  {
    slug: 'day-2',
    title: { ar: 'اليوم الثاني', en: 'Day 2', ku: 'Roja duyem' },
    caption: {
      ar: 'ورشات العمل والمعرض والكلمة الختامية.',
      en: 'Workshops, the exhibition and the closing words.',
      ku: 'Atolye, pêşangeh û gotinên dawîn.',
    },
  },
] as const;

const EXIFR = 'MikeKovarik/exifr test fixtures';
const FILE_TYPE = 'sindresorhus/file-type test fixtures';
const NOM_EXIF = 'mindeng/nom-exif test data';

export const DEMO_ITEMS: readonly DemoItem[] = [
  {
    file: 'jpeg_vivo-x90pro_gps_offsettime.jpg',
    album: 'day-1',
    caption: { ar: 'فطائر مطهوّة على البخار في استراحة الغداء', en: 'Steamed buns at the lunch break', ku: 'Nanên bi hilmê pijiyayî, di navbera firavînê de' },
    credit: NOM_EXIF,
    license: 'MIT',
  },
  {
    file: 'jpeg_canon-30d_progressive_empty-gps.jpg',
    album: 'day-1',
    caption: { ar: 'قصر الثقافة والعلوم في وارسو', en: 'The Palace of Culture and Science, Warsaw', ku: 'Qesra Çand û Zanistê li Varşovayê' },
    credit: EXIFR,
    license: 'MIT',
  },
  {
    file: 'heic_iphone7plus_gps_rot90.heic',
    album: 'day-1',
    caption: { ar: 'زائر أمام عمل فني ضوئي', en: 'A visitor in front of a light installation', ku: 'Mêvanek li ber pêşangeheke ronahiyê' },
    credit: FILE_TYPE,
    license: 'MIT',
  },
  {
    file: 'jpeg_canon-600d_gps_iptc_xmp.jpg',
    album: 'day-1',
    caption: { ar: 'سنجاب في الحديقة خلال الاستراحة', en: 'A squirrel in the garden during the break', ku: 'Sincabek di baxçe de, di dema navberê de' },
    credit: `Patrik, via ${EXIFR}`,
    license: 'MIT',
  },
  {
    file: 'mp4_h264_aac_imovie.mp4',
    album: 'day-1',
    caption: { ar: 'مقطع من فيلم «باك باني الكبير»', en: 'A clip from Big Buck Bunny', ku: 'Perçeyek ji fîlma Big Buck Bunny' },
    credit: 'Blender Foundation, www.bigbuckbunny.org',
    license: 'CC-BY-3.0',
    subtitles: { ar: 'big-buck-bunny.ar.vtt', en: 'big-buck-bunny.en.vtt' },
  },
  {
    file: 'heic_iphone-xs-max_gps.heic',
    album: 'day-2',
    caption: { ar: 'مسبح الفندق بعد الظهر', en: 'The hotel pool in the afternoon', ku: 'Hewza otêlê, piştî nîvro' },
    credit: EXIFR,
    license: 'MIT',
  },
  {
    file: 'avif_iphone12pro_exif_gps.avif',
    album: 'day-2',
    caption: { ar: 'أشجار الحديقة العامة قُبيل الغروب', en: 'Trees in the park shortly before sunset', ku: 'Darên parkê, hinekî berî rojavabûnê' },
    credit: NOM_EXIF,
    license: 'MIT',
  },
  {
    file: 'tiff_dji-xt2_thermal-16bit_gps.tiff',
    album: 'day-2',
    caption: { ar: 'صورة حرارية من كاميرا طائرة مسيّرة', en: 'A thermal image from a drone camera', ku: 'Wêneyekî germahiyê ji kameraya dronekê' },
    credit: EXIFR,
    license: 'MIT',
  },
];
