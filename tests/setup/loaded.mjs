#!/usr/bin/env node
// `npm run test:loaded [-- --runs N]`: the whole suite while two busy loops keep both cores of a 2-core machine
// occupied, as on a busy CI machine or a student's laptop. It starts the loops, runs `npm test` N times in a
// row (default 1), stops the loops whatever happens, and exits with the first failing run's status. A test that
// passes only on a quiet machine depends on the machine's speed: that is a bug in the test.
import { spawn } from 'node:child_process';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 1;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('test:loaded: --runs needs a whole number of at least 1');
  process.exit(2);
}

const loops = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stopLoops = () => loops.forEach((loop) => loop.kill('SIGKILL'));
process.on('exit', stopLoops);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

let status = 0;
for (let run = 1; run <= runs && status === 0; run++) {
  const started = Date.now();
  console.log(`test:loaded: run ${run} of ${runs}, with 2 busy loops (pids ${loops.map((l) => l.pid).join(', ')})`);
  status = await new Promise((done) => {
    const child = spawn('npm', ['test'], { stdio: 'inherit' });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
  console.log(`test:loaded: run ${run} ${status === 0 ? 'passed' : `failed (exit ${status})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
process.exit(status);
