// Character pages with the figures real clusters have, from one Pi Zero to twenty Pi 5s: nothing
// is cut, and the '~' glyph (uncertain digits follow) appears nowhere but after certified digits.
import { expect } from 'chai';
import { GLYPH_TILDE } from '../../src/display/char-frame';
import { clip, cpuFigure, memFigure } from '../../src/display/format';
import { charGlyphRows } from '../../src/display/raster';
import { DisplayModel, AgentView } from '../../src/display/model';
import { renderPage } from '../../src/display/screens';
import { PageName } from '../../src/display/spec';
import { clusterModel, idleModel, localModel, longDigitsModel, midClusterModel, pi5ClusterModel, piZeroModel } from './fixtures';

const SIZES = ['20x4', '16x2'] as const;

function chars(page: PageName, m: DisplayModel, size: '20x4' | '16x2') {
  const f = renderPage(page, m, size);
  if (f.kind !== 'char') throw new Error('char frame expected');
  return f.chars;
}

/** Pis as Mesos offers them: CPUs, and memory (total less 1 GB, or half below 2 GB). */
const BOARDS: { name: string; cpus: number; memMb: number }[] = [
  { name: 'zero', cpus: 1, memMb: 213 },
  { name: 'pi3', cpus: 4, memMb: 463 },
  { name: 'pi4-2g', cpus: 4, memMb: 903 },
  { name: 'pi4-4g', cpus: 4, memMb: 2861 },
  { name: 'pi5-8g', cpus: 4, memMb: 7065 },
];

function clusterOf(board: (typeof BOARDS)[number], n: number, busy: number, othersMb: number): DisplayModel {
  const m = clusterModel();
  const agents: AgentView[] = Array.from({ length: n }, (_, i) => ({
    id: `a${i}`, hostname: `${board.name}-${i + 1}.lan`, online: true, cpusTotal: board.cpus,
    cpusUsedByUs: Math.min(board.cpus, busy * board.cpus), cpusUsedByOthers: busy < 1 ? (1 - busy) * board.cpus * 0.3 : 0,
    memTotalMb: board.memMb, memUsedByUsMb: busy > 0 ? Math.min(board.memMb, 96 + 32 * Math.ceil(busy * board.cpus)) : 0,
    memUsedByOthersMb: Math.min(othersMb, board.memMb / 2),
  }));
  const sum = (f: (a: AgentView) => number) => agents.reduce((s, a) => s + f(a), 0);
  m.cluster = {
    cpusTotal: sum((a) => a.cpusTotal), cpusUsedByUs: sum((a) => a.cpusUsedByUs), cpusUsedByOthers: sum((a) => a.cpusUsedByOthers),
    memTotalMb: sum((a) => a.memTotalMb), memUsedByUsMb: sum((a) => a.memUsedByUsMb), memUsedByOthersMb: sum((a) => a.memUsedByOthersMb),
    agents,
  };
  return m;
}

describe('character pages for real clusters', () => {
  it('the figures issue 12 quotes fit whole on both sizes', () => {
    expect(memFigure(3.4 * 1024, 4.7 * 1024, 15 * 1024, 12)).to.equal('3.4+4.7/15G');
    expect(memFigure(63, 408, 24 * 1024, 12)).to.equal('63M+408M/24G');
    expect(memFigure(63, 408, 24 * 1024, 11)).to.equal('0.1+0.4/24G');
    expect(cpuFigure(77, 2.5, 80, 11)).to.equal('77+2.5/80');
    expect(chars('cluster', midClusterModel(), '20x4').toText().split('\n')[1]).to.match(/ 3\.4\+4\.7\/15G$/);
    expect(chars('cluster', midClusterModel(), '16x2').toText().split('\n')[1]).to.match(/ 3\.4\+4\.7\/15G$/);
  });

  it('no figure on the CPU and MEM rows is ever cut, from 1 Pi Zero to 20 Pi 5s', () => {
    let checked = 0;
    for (const board of BOARDS) {
      for (const n of [1, 2, 3, 5, 8, 12, 16, 20]) {
        for (const busy of [0, 0.25, 0.5, 0.9625, 1]) {
          for (const othersMb of [0, 63, 408, 1800, 4800]) {
            const m = clusterOf(board, n, busy, othersMb);
            for (const size of SIZES) {
              const f = chars('cluster', m, size);
              for (const r of [0, 1]) {
                const row = [...f.cells.subarray(r * f.cols, (r + 1) * f.cols)];
                const where = `${size} ${n}x${board.name} busy ${busy} others ${othersMb}M: ${JSON.stringify(f.toText().split('\n')[r])}`;
                expect(row.includes(0x7e) || row.includes(GLYPH_TILDE), `cut mark in ${where}`).to.equal(false);
                expect(row.includes(0x3f), `'?' in ${where}`).to.equal(false);
                // The figure is separated from the bar by at least one space.
                const text = f.toText().split('\n')[r];
                expect(text, where).to.match(/ \S+$/);
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).to.equal(BOARDS.length * 8 * 5 * 5 * 2 * 2);
  });

  it("the '~' glyph appears only between certified and uncertain digits", () => {
    const odd = clusterModel();
    odd.cluster.agents[0].hostname = 'node~1.lan';
    odd.framework.master = 'master~a:5050';
    odd.framework.idleReason = 'waiting ~ for offers from a very long list of masters';
    const models = [clusterModel(), idleModel(), localModel(), longDigitsModel(), piZeroModel(), pi5ClusterModel(), midClusterModel(), odd];
    for (const m of models) {
      for (const size of SIZES) {
        for (const page of ['cluster', 'pi', 'framework'] as PageName[]) {
          const f = chars(page, m, size);
          for (let i = 0; i < f.cells.length; i++) {
            if (f.cells[i] !== GLYPH_TILDE) continue;
            const r = Math.floor(i / f.cols);
            const c = i % f.cols;
            const where = `${size} ${page}: ${JSON.stringify(f.toText())}`;
            expect(page, where).to.equal('pi');
            expect(r, where).to.equal(0);
            const before = f.toText().split('\n')[0].slice(0, c);
            expect(m.pi.certified.endsWith(before.replace(/^</, '')) || before.endsWith(m.pi.certified.slice(-c)), where).to.equal(true);
          }
        }
      }
    }
  });

  it("in pictures (png panel, web page) the cut mark is the HD44780 ROM's arrow at 0x7E, not the font's '~'", () => {
    expect(charGlyphRows(0x7e)).to.deep.equal([0x00, 0x04, 0x02, 0x1f, 0x02, 0x04, 0x00, 0x00]);
    expect(charGlyphRows(0x7e)).to.not.deep.equal(charGlyphRows(GLYPH_TILDE));
  });

  it("clipped text is marked with an arrow, never '~'", () => {
    expect(clip('pi-node-with-a-long-name', 8)).to.equal('pi-node→');
    expect(clip('short', 8)).to.equal('short');
    expect(renderPage('pi', clusterModel(), '20x4').kind === 'char' && (renderPage('pi', clusterModel(), '20x4') as { chars: { toText(): string } }).chars.toText()).to.include('next digit  in 1h02m');
  });
});
