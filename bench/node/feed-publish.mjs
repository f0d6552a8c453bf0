// The npm `nats` side of the feed publishing scenario: the same messages, published the same three ways as the .NET
// harness does. Usage: node feed-publish.mjs <url> <stream> <core|js|js-window> <corpus.json> <acks in flight>.
// The corpus is {"subjects": [...], "payloads": [base64, ...]}. Prints one JSON line: {"mode","count","seconds","rate"}.
import { readFileSync } from 'node:fs';
import { connect } from 'nats';

const [url, stream, mode, corpusFile, windowArg] = process.argv.slice(2);
const corpus = JSON.parse(readFileSync(corpusFile, 'utf8'));
const subjects = corpus.subjects;
const payloads = corpus.payloads.map((p) => new Uint8Array(Buffer.from(p, 'base64')));
const count = subjects.length;
const acksInFlight = Number(windowArg);
const flushEvery = 5000;

const nc = await connect({ servers: url, name: 'bench-publish-node' });
const js = nc.jetstream();
const jsm = await nc.jetstreamManager();

// Core publishes are acknowledged by nobody: done when the stream counts them all.
async function waitUntilStored() {
  const deadline = Date.now() + 30000;
  for (;;) {
    const { messages } = (await jsm.streams.info(stream)).state;
    if (messages >= count) return;
    if (Date.now() > deadline) throw new Error(`stream ${stream} holds ${messages} of ${count} published messages`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const start = process.hrtime.bigint();
if (mode === 'core') {
  for (let i = 0; i < count; i++) {
    nc.publish(subjects[i], payloads[i]);
    if (i % flushEvery === flushEvery - 1) await nc.flush();
  }
  await nc.flush();
  await waitUntilStored();
} else if (mode === 'js') {
  // js.publish rejects when the stream answers with an error.
  for (let i = 0; i < count; i++) await js.publish(subjects[i], payloads[i]);
} else {
  const inFlight = [];
  for (let i = 0; i < count; i++) {
    if (inFlight.length === acksInFlight) await inFlight.shift();
    inFlight.push(js.publish(subjects[i], payloads[i]));
  }
  await Promise.all(inFlight);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

await nc.close();
console.log(JSON.stringify({ mode, count, seconds, rate: count / seconds }));
