// The peer for the chat fan-out scenarios: a minimal broadcast server on npm `ws`, no persistence, no rooms.
// Every text frame a client sends is sent to every connected client (the sender included), as received.
// Usage: node ws-broadcast.mjs <port>. Prints "listening <port>" once it accepts connections.
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 8090);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: true });

wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    }
  });
  socket.on('error', () => {});
});

wss.on('listening', () => console.log(`listening ${port}`));
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
