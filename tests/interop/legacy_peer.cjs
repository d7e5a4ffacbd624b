// A legacy server: Apollo's subscriptions-transport-ws (subprotocol "graphql-ws").
// Usage: node legacy_peer.cjs PORT   (PEER_TOKEN=... requires "Bearer <token>")
'use strict';
const http = require('node:http');
const { buildSchema, execute, subscribe } = require('graphql');
const { SubscriptionServer } = require('subscriptions-transport-ws');
const peer = require('./schema.cjs');

const token = process.env.PEER_TOKEN || null;
const schema = buildSchema(peer.SDL);
const server = http.createServer();

SubscriptionServer.create(
  {
    schema,
    execute: (args) => execute({ ...args, rootValue: peer.queryRoot }),
    subscribe: (args) => subscribe({ ...args, rootValue: peer.subscriptionRoot }),
    onConnect: (params) => {
      if (token && (params || {}).Authorization !== `Bearer ${token}`) throw new Error('Forbidden');
      return {};
    },
    keepAlive: 500,
  },
  { server, path: '/graphql/ws' },
);

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
