// A lighter load generator for the shootout's broadcast rounds: every member of one room is a WebSocket client of one
// Bun process, instead of a .NET receive loop in the harness. It checks how much of a shootout result belongs to the
// load generator rather than to the server under test.
// Usage: bun bun-rounds.ts <url with {i} for the client number> <stchat|peer> <clients> <rounds> <senders> <server pid>
// Connects the clients (64 at a time), waits until no frame has arrived for 1 s (join storms), runs one warm-up round
// and then <rounds> rounds of <senders> simultaneous broadcasts, each complete when every member has received it
// (5 s at most). Prints one JSON line: {clients, broadcasts, timedOut, p50, p95, max, seconds, deliveries,
// serverCpuSeconds, loadCpuSeconds}; CPU is counted over the measured rounds only.
import { readFileSync } from 'node:fs';

const [urlTemplate, kind, clientsArg, roundsArg, sendersArg, pidArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const rounds = Number(roundsArg);
const senders = Number(sendersArg);
const serverPid = Number(pidArg);
const roundTimeoutMs = 5000;
const connectConcurrency = 64;

// A broadcast's marker is "t=<key>|" in the message text; each pending one counts the members still to receive it.
const pending = new Map<string, { left: number; sent: number; done: () => void }>();
let frames = 0;
let lastFrame = performance.now();
let open = 0;
let failed = 0;

function onMessage(data: string | Buffer) {
  frames++;
  lastFrame = performance.now();
  const text = typeof data === 'string' ? data : data.toString();
  const at = text.indexOf('t=');
  if (at < 0) return;
  const broadcast = pending.get(text.slice(at + 2, text.indexOf('|', at)));
  if (broadcast && --broadcast.left === 0) broadcast.done();
}

const sockets: WebSocket[] = [];
for (let i = 0; i < clients; i++) {
  const socket = new WebSocket(urlTemplate.replace('{i}', String(i)));
  socket.onopen = () => open++;
  socket.onerror = () => failed++;
  socket.onmessage = (e) => onMessage(e.data);
  sockets.push(socket);
  while (i + 1 - open - failed >= connectConcurrency) await Bun.sleep(2);
}

while (open + failed < clients) await Bun.sleep(20);
if (failed > 0) {
  console.error(`${failed} of ${clients} clients could not connect`);
  process.exit(1);
}

const settleUntil = performance.now() + 120_000;
while (performance.now() - lastFrame < 1000 && performance.now() < settleUntil) await Bun.sleep(100);

// utime + stime of a process, in seconds (USER_HZ is 100).
function serverCpuSeconds(): number {
  const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// One round: every sender broadcasts at once; returns each broadcast's round trip in ms (roundTimeoutMs when it did
// not reach every member in time).
async function round(label: string): Promise<number[]> {
  const waits: Promise<number>[] = [];
  for (let s = 0; s < senders; s++) {
    const key = `${label}-${s}`;
    const sent = performance.now();
    waits.push(new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(roundTimeoutMs), roundTimeoutMs);
      pending.set(key, { left: clients, sent, done: () => { clearTimeout(timer); resolve(performance.now() - sent); } });
    }));
    const text = `bench t=${key}|`;
    sockets[s * Math.floor(clients / senders)].send(JSON.stringify(kind === 'stchat' ? { message: text } : { action: 'message', message: text }));
  }

  const trips = await Promise.all(waits);
  for (let s = 0; s < senders; s++) pending.delete(`${label}-${s}`);
  return trips;
}

await round('warmup');
const trips: number[] = [];
const framesBefore = frames;
const serverBefore = serverCpuSeconds();
const loadBefore = process.cpuUsage();
const started = performance.now();
for (let r = 0; r < rounds; r++) trips.push(...(await round(String(r))));
const seconds = (performance.now() - started) / 1000;
const load = process.cpuUsage(loadBefore);
const serverSeconds = serverCpuSeconds() - serverBefore;

trips.sort((a, b) => a - b);
const percentile = (q: number) => trips[Math.min(trips.length - 1, Math.ceil(q * trips.length) - 1)];
console.log(JSON.stringify({
  clients,
  broadcasts: trips.length,
  timedOut: trips.filter((t) => t >= roundTimeoutMs).length,
  p50: percentile(0.5),
  p95: percentile(0.95),
  max: trips[trips.length - 1],
  seconds,
  deliveries: frames - framesBefore,
  serverCpuSeconds: serverSeconds,
  loadCpuSeconds: (load.user + load.system) / 1e6,
}));
process.exit(0);
