// A small incident schema and event source shared by both peers. Deterministic: the
// n-th incident has severity P(n mod 5), team sre or payments by n's parity, and a UUID derived from n.
'use strict';

const SDL = `
  scalar UUID
  scalar JSON
  enum Severity { P0 P1 P2 P3 P4 }
  type Incident {
    id: UUID! title: String! description: String severity: Severity! state: String!
    incidentType: String source: String createdAt: String! updatedAt: String resolvedAt: String
    assignedTo: String affectedResources: [String!]! labels: JSON
  }
  type IncidentUpdate { updateType: String! incidentId: UUID timestamp: String! }
  type IncidentStateChange { incidentId: UUID! oldState: String! newState: String! changedBy: String! timestamp: String! }
  type PageInfo { totalCount: Int! hasNextPage: Boolean! }
  type IncidentConnection { incidents: [Incident!]! pageInfo: PageInfo! }
  input IncidentFilter { severities: [Severity!] activeOnly: Boolean }
  input PaginationInput { page: Int pageSize: Int }
  type Query {
    incident(id: UUID!): Incident
    incidents(filter: IncidentFilter, pagination: PaginationInput): IncidentConnection!
  }
  type Subscription {
    criticalIncidents: Incident!
    newIncidents(severities: [Severity!]): Incident!
    incidentUpdates(severities: [Severity!]): IncidentUpdate!
    incidentStateChanges(incidentId: UUID): IncidentStateChange!
  }
`;

const SEVERITIES = ['P0', 'P1', 'P2', 'P3', 'P4'];
const TEAMS = ['sre', 'payments'];
const incidents = new Map();

function uuid(n) {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

function makeIncident(n) {
  const incident = {
    id: uuid(n),
    title: `peer incident ${n}`,
    description: null,
    severity: SEVERITIES[n % 5],
    state: 'NEW',
    incidentType: 'APPLICATION',
    source: 'peer',
    createdAt: new Date().toISOString(),
    updatedAt: null,
    resolvedAt: null,
    assignedTo: null,
    affectedResources: ['svc'],
    labels: { team: TEAMS[n % 2] },
  };
  incidents.set(incident.id, incident);
  return incident;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every subscription is its own generator: a new incident every 20 ms, then an update
// and a state change about it.
async function* events(kind, keep) {
  let n = 0;
  while (true) {
    await sleep(20);
    n += 1;
    const incident = makeIncident(n + Math.floor(Math.random() * 1e9) * 10);
    const timestamp = new Date().toISOString();
    let value;
    if (kind === 'incident') value = incident;
    if (kind === 'update') value = { updateType: 'CREATED', incidentId: incident.id, timestamp };
    if (kind === 'change') {
      incident.state = 'INVESTIGATING';
      value = { incidentId: incident.id, oldState: 'NEW', newState: 'INVESTIGATING', changedBy: 'peer', timestamp };
    }
    if (keep(incident)) yield value;
  }
}

function wrap(field, iterator) {
  return (async function* () {
    for await (const value of iterator) yield { [field]: value };
  })();
}

const bySeverity = (severities) => (incident) => !severities || severities.includes(incident.severity);

const subscriptionRoot = {
  criticalIncidents: () => wrap('criticalIncidents', events('incident', bySeverity(['P0', 'P1']))),
  newIncidents: ({ severities }) => wrap('newIncidents', events('incident', bySeverity(severities))),
  incidentUpdates: ({ severities }) => wrap('incidentUpdates', events('update', bySeverity(severities))),
  incidentStateChanges: ({ incidentId }) =>
    wrap('incidentStateChanges', events('change', (i) => !incidentId || i.id === incidentId)),
};

const queryRoot = {
  incident: ({ id }) => incidents.get(id) || null,
  incidents: ({ filter }) => {
    const chosen = [...incidents.values()].filter(bySeverity(filter && filter.severities)).slice(-50);
    return { incidents: chosen, pageInfo: { totalCount: chosen.length, hasNextPage: false } };
  },
};

module.exports = { SDL, subscriptionRoot, queryRoot };
