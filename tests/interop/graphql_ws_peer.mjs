// The graphql-ws reference server (npm graphql-ws, use/ws) serving the peer schema.
// Usage: node graphql_ws_peer.mjs PORT   (PEER_TOKEN=... requires "Bearer <token>")
import { createServer } from 'node:http';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import peer from './schema.cjs';

const token = process.env.PEER_TOKEN || null;
const schema = buildSchema(peer.SDL);
const server = createServer();
const wss = new WebSocketServer({ server, path: '/graphql/ws' });

useServer(
  {
    schema,
    roots: { query: peer.queryRoot, subscription: peer.subscriptionRoot },
    onConnect: (ctx) => !token || (ctx.connectionParams || {}).Authorization === `Bearer ${token}`,
    onClose: (_ctx, code) => console.log(`closed ${code}`),
  },
  wss,
);

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => {
  for (const client of wss.clients) client.close(1001, 'Going away');
  server.close(() => process.exit(0));
});
