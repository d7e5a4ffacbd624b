// A legacy server: Apollo's subscriptions-transport-ws (subprotocol "graphql-ws").
// Usage: node legacy_peer.cjs PORT   (PEER_TOKEN=... requires "Bearer <token>")
// PEER_SOCKET_QUERIES=refuse: subscriptions only on the socket, as Strawberry's legacy
// dialect does; queries are answered at POST /graphql on the same port instead.
'use strict';
const http = require('node:http');
const { buildSchema, execute, graphql, subscribe, GraphQLError } = require('graphql');
const { SubscriptionServer } = require('subscriptions-transport-ws');
const peer = require('./schema.cjs');

const token = process.env.PEER_TOKEN || null;
const refuseSocketQueries = process.env.PEER_SOCKET_QUERIES === 'refuse';
const schema = buildSchema(peer.SDL);
const authorised = (value) => !token || value === `Bearer ${token}`;

const server = http.createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST' || req.url.split('?')[0] !== '/graphql') return reply(404, { errors: [{ message: 'not found' }] });
  if (!authorised(req.headers.authorization)) return reply(401, { errors: [{ message: 'Unauthorized' }] });
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', async () => {
    let request;
    try { request = JSON.parse(body); } catch { return reply(400, { errors: [{ message: 'bad JSON' }] }); }
    const result = await graphql({
      schema, source: request.query, rootValue: peer.queryRoot,
      variableValues: request.variables, operationName: request.operationName,
    });
    console.log('http query');
    reply(200, result);
  });
});

SubscriptionServer.create(
  {
    schema,
    execute: (args) => {
      if (refuseSocketQueries) return { errors: [new GraphQLError('queries are not allowed over this connection')] };
      return execute({ ...args, rootValue: peer.queryRoot });
    },
    subscribe: (args) => subscribe({ ...args, rootValue: peer.subscriptionRoot }),
    onConnect: (params) => {
      if (!authorised((params || {}).Authorization)) throw new Error('Forbidden');
      return {};
    },
    keepAlive: 500,
  },
  { server, path: '/graphql/ws' },
);

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
