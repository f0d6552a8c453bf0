// The peer for the NATS client scenario: the same publish and publish+subscribe loops as the .NET harness,
// written against npm `nats`. Usage: node nats-bench.mjs <url> <pub|pubsub> <count> <size>.
// Prints one JSON line: {"mode","size","count","received","seconds","rate"}.
import { connect } from 'nats';

const [url, mode, countArg, sizeArg] = process.argv.slice(2);
const count = Number(countArg);
const size = Number(sizeArg);
const payload = new Uint8Array(size).fill(97);
const subject = `bench.node.${process.pid}`;
// Yield to the event loop now and then so the subscriber (same thread) keeps reading while we publish.
const yieldEvery = 1000;
const pause = () => new Promise((resolve) => setImmediate(resolve));

const pub = await connect({ servers: url, name: 'bench-node-pub' });
let received = count;
let seconds;

if (mode === 'pub') {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    pub.publish(subject, payload);
    if (i % yieldEvery === yieldEvery - 1) await pause();
  }
  await pub.flush();
  seconds = Number(process.hrtime.bigint() - start) / 1e9;
} else {
  const sub = await connect({ servers: url, name: 'bench-node-sub' });
  received = 0;
  const subscription = sub.subscribe(subject);
  await sub.flush();
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const timer = setTimeout(() => done(), 60000);
  (async () => {
    for await (const _ of subscription) {
      if (++received === count) { done(); break; }
    }
  })();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    pub.publish(subject, payload);
    if (i % yieldEvery === yieldEvery - 1) await pause();
  }
  await pub.flush();
  await finished;
  seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearTimeout(timer);
  await sub.close();
}

await pub.close();
console.log(JSON.stringify({ mode, size, count, received, seconds, rate: received / seconds }));
