// Entry of the gallery's scripts. Each page works without them; they add the thumbhash
// placeholders, the lightbox, the video player and live updates where the page has the parts.

import { applyPlaceholders } from './placeholders.js';

applyPlaceholders();

const grid = document.getElementById('grid');
if (grid) {
  import('./lightbox.js').then(({ initLightbox }) => initLightbox(grid));
  import('./live.js').then(({ initLive }) => initLive(grid));
}

const players = document.querySelectorAll('video.player');
if (players.length) {
  import('./player.js').then(({ enhancePlayer }) => {
    for (const video of players) enhancePlayer(video);
  });
}
