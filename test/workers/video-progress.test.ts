/**
 * A video's progress per rendition, from the parts its flow has recorded: a rung counts the
 * seconds of recording it has, not the number of its pieces (the last pieces are halves).
 */
import t from 'tap';
import { tenMinutePlan } from '../helpers/video-plans.js';
import { progressOf } from '../../workers/processors/video-flow.js';

const plan = tenMinutePlan();
const parts = (part: string, pieces: number[]) => pieces.map((piece) => ({ part, piece }));

t.test('a rung\'s progress is the share of the recording\'s seconds it has', async (t) => {
  t.same(plan.pieces.map((p) => p.seconds), [120, 120, 120, 60, 60, 60, null], 'three whole pieces, then halves');
  const some = progressOf(plan, [...parts('poster', [0]), ...parts('360p', [0, 1, 2]), ...parts('1080p', [6])]);
  t.equal(some.parts['360p'], 60, '360 of 600 s');
  t.equal(some.parts['1080p'], 10, 'the last half: 60 of 600 s, not one piece in seven');
  t.same([some.parts.poster, some.parts.audio, some.parts['720p'], some.parts['download.mp4']], [100, 0, 0, 0]);
  const again = progressOf(plan, [...parts('360p', [0, 1, 2]), ...parts('360p', [2])]);
  t.equal(again.parts['360p'], 60, 'a piece recorded twice counts once');
});

t.test('the asset\'s progress grows with each part, ends at 95 before the finish and at 100 after it', async (t) => {
  const all = ['poster', 'audio', 'storyboard'].flatMap((p) => parts(p, [0])).concat(...plan.rungs.map((r) => parts(r.name, plan.pieces.map((p) => p.index))));
  let last = -1;
  for (let n = 0; n <= all.length; n++) {
    const { overall } = progressOf(plan, all.slice(0, n));
    t.ok(overall >= last, `${n} parts: ${overall} %`);
    last = overall;
  }
  t.equal(last, 95, 'every part, before the download MP4');
  const finished = progressOf(plan, all, true);
  t.equal(finished.overall, 100);
  t.ok(Object.values(finished.parts).every((v) => v === 100), 'every rendition at 100');
  t.equal(progressOf(plan, []).overall, 5, 'nothing yet: the plan\'s 5 %');
});
