import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { unpackedPath } from '../../electron/core/asarPath.js';
import { hostCommand, type Runtime } from '../../electron/core/cli/hostCommand.js';
import { hostArgsOf } from '../../electron/core/cli/selfTest.js';
import { defaultServiceLimits, renderServiceUnit } from '../../electron/core/cli/serviceUnit.js';
import { GIB } from '../../shared/board.js';

const packedHeadless = '/tmp/.mount_BrainXyz/resources/app.asar/dist/electron/headless.js';
const appImage: Runtime = {
  execPath: '/tmp/.mount_BrainXyz/brain-in-jar',
  electron: true,
  appImage: '/opt/brain-in-jar/Brain-in-a-Jar-arm64.AppImage',
  headlessScript: packedHeadless,
  execArgv: [],
};

describe('the command line that starts a headless host', () => {
  it('maps a packed file to its unpacked copy, and leaves any other path alone', () => {
    assert.equal(
      unpackedPath(packedHeadless),
      '/tmp/.mount_BrainXyz/resources/app.asar.unpacked/dist/electron/headless.js',
    );
    assert.equal(unpackedPath('/opt/jar/dist/electron/worker/main.js'), '/opt/jar/dist/electron/worker/main.js');
    assert.equal(unpackedPath('/opt/app.asar.unpacked/dist/x.js'), '/opt/app.asar.unpacked/dist/x.js');
  });

  it('from an AppImage, is the AppImage itself in headless mode: its mount point changes at every start', () => {
    const host = hostCommand(appImage, ['--data-dir', '/home/op/.config/brain-in-jar']);
    assert.deepEqual(host.argv, [
      '/opt/brain-in-jar/Brain-in-a-Jar-arm64.AppImage',
      'run',
      '--headless',
      '--data-dir',
      '/home/op/.config/brain-in-jar',
    ]);
    assert.deepEqual(host.env, {}, 'no ELECTRON_RUN_AS_NODE: AppRun may put --no-sandbox first, which Node refuses');
    assert.equal(host.entry, appImage.appImage);
  });

  it('from an unpacked Electron app (the tar.gz), is Electron as Node on the unpacked headless script', () => {
    const host = hostCommand({ ...appImage, appImage: undefined, execPath: '/opt/jar/brain-in-jar' }, [
      '--mode',
      'matrix',
    ]);
    assert.deepEqual(host.argv, [
      '/opt/jar/brain-in-jar',
      '/tmp/.mount_BrainXyz/resources/app.asar.unpacked/dist/electron/headless.js',
      'run',
      '--mode',
      'matrix',
    ]);
    assert.deepEqual(host.env, { ELECTRON_RUN_AS_NODE: '1' });
  });

  it('from Node, is node on the script, with the loaders a source run needs', () => {
    const host = hostCommand(
      {
        execPath: '/usr/bin/node',
        electron: false,
        appImage: '/ignored',
        headlessScript: '/src/electron/headless.ts',
        execArgv: ['--import', 'tsx'],
      },
      [],
    );
    assert.deepEqual(host.argv, ['/usr/bin/node', '--import', 'tsx', '/src/electron/headless.ts', 'run']);
    assert.deepEqual(host.env, {});
  });

  it('gives the service unit an ExecStart of the AppImage, with no Environment line', () => {
    const host = hostCommand(appImage, ['--data-dir', '/home/op/.config/brain-in-jar']);
    const unit = renderServiceUnit({
      command: host.argv,
      limits: defaultServiceLimits(32 * GIB, 8),
      electron: host.env.ELECTRON_RUN_AS_NODE === '1',
    });
    assert.match(
      unit,
      /^ExecStart=\/opt\/brain-in-jar\/Brain-in-a-Jar-arm64\.AppImage run --headless --data-dir \/home\/op\/\.config\/brain-in-jar$/m,
    );
    assert.doesNotMatch(unit, /ELECTRON_RUN_AS_NODE/);
  });

  it("passes the self-test's other flags to the host it starts, and keeps its own", () => {
    assert.deepEqual(
      hostArgsOf(['self-test', '--minutes', '2', '--json', '--model', '/m.gguf', '--data-dir=/d', '--threads', '1']),
      ['--model', '/m.gguf', '--threads', '1'],
    );
    assert.deepEqual(hostArgsOf(['self-test', '--minutes=0.5', '--data-dir', '/d']), []);
  });
});
