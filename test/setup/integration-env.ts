// Integration tests talk to real servers: allow for broker round trips and rebalances.
jest.setTimeout(120000);
