// Every page at every size, through the real driver and the emulated controller, against the
// golden glass. SSD1306 and SH1106 must show the same picture from different byte streams.
import { expect } from 'chai';
import { DisplayModel } from '../../src/display/model';
import { PageName } from '../../src/display/spec';
import { clusterModel, idleModel, localModel, longDigitsModel, midClusterModel, pi5ClusterModel, piZeroModel } from './fixtures';
import { expectGolden, makeRig, PANEL_KINDS, PanelKind, sizeOf } from './harness';

const CASES: { name: string; page: PageName | 'stopped'; model: () => DisplayModel }[] = [
  { name: 'cluster', page: 'cluster', model: clusterModel },
  { name: 'cluster-pizero', page: 'cluster', model: piZeroModel },
  { name: 'cluster-20pi5', page: 'cluster', model: pi5ClusterModel },
  { name: 'cluster-mid', page: 'cluster', model: midClusterModel },
  { name: 'pi', page: 'pi', model: clusterModel },
  { name: 'pi-local', page: 'pi', model: localModel },
  { name: 'pi-long', page: 'pi', model: longDigitsModel },
  { name: 'framework', page: 'framework', model: clusterModel },
  { name: 'framework-idle', page: 'framework', model: idleModel },
  { name: 'stopped', page: 'stopped', model: clusterModel },
];

async function glassOf(kind: PanelKind, page: PageName | 'stopped', model: DisplayModel): Promise<{ glass: string; problems: string[] }> {
  const rig = makeRig(kind, { extra: page === 'stopped' ? 'pages=pi' : `pages=${page}` });
  rig.display.show(model);
  await rig.display.settled();
  if (page === 'stopped') await rig.display.close('stopped');
  const out = { glass: rig.glass(), problems: rig.problems() };
  await rig.display.close('stopped');
  return out;
}

describe('display pages on emulated panels (golden files)', () => {
  for (const kind of PANEL_KINDS) {
    for (const c of CASES) {
      it(`${kind}: ${c.name}`, async () => {
        const { glass, problems } = await glassOf(kind, c.page, c.model());
        expect(problems, 'controller protocol problems').to.deep.equal([]);
        expectGolden(`${sizeOf(kind)}-${c.name}.txt`, glass);
      });
    }
  }
});
