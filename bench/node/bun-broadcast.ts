// The Bun peer for the chat scenarios: Bun.serve's built-in WebSocket server (uWebSockets) with its pub/sub, no
// persistence. A client joins the room named by its path (ws://host:port/<room>); every text frame a member sends is
// published to that room (the sender included), as received. The wire protocol is that of ws-broadcast.mjs, so the
// same load clients drive both.
// Usage: bun bun-broadcast.ts <port>. Prints "listening <port>" once it accepts connections.
const port = Number(process.argv[2] ?? 8091);

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  fetch(req, server) {
    const room = new URL(req.url).pathname.slice(1);
    return server.upgrade(req, { data: { room } }) ? undefined : new Response('WebSocket only', { status: 426 });
  },
  websocket: {
    data: {} as { room: string },
    perMessageDeflate: false,
    open(ws) {
      ws.subscribe(ws.data.room);
    },
    // server.publish, unlike ws.publish, also sends to the sender, as the Node peer does.
    message(ws, message) {
      server.publish(ws.data.room, message);
    },
  },
});

console.log(`listening ${server.port}`);
process.on('SIGTERM', () => {
  server.stop(true);
  process.exit(0);
});
