// Two Ito nodes on one PostgreSQL database behind nginx balancing them round-robin: the whole
// handoff journey passes with the visitor's socket on one node and the agent's on the other,
// as the database's own tables (seats, visitor_connections) show.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { postgresServer, startCluster } from "./cluster.mjs";
import { handoffJourney } from "./handoff-journey.mjs";
import { launchBrowser } from "./harness.mjs";

const env = {};
// `cargo xtask test` always names a PostgreSQL; only a bare `node --test` may lack one.
const skip = postgresServer ? false : "no PostgreSQL: ITO_E2E_POSTGRES is not set (cargo xtask test sets it)";
before(async () => {
  if (skip) return;
  env.server = await startCluster({ nodes: 2 });
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
});

/** The node of each open agent seat and visitor connection, once there is exactly one of each. */
async function connectedNodes(cluster, previousSeat) {
  for (let attempt = 0; attempt < 400; attempt++) {
    const seats = cluster.sql("SELECT node, connection FROM seats");
    const visitors = cluster.sql("SELECT node FROM visitor_connections");
    const seat = seats[0]?.join("/");
    if (seats.length === 1 && visitors.length === 1 && seat !== previousSeat) {
      return { agent: seats[0][0], visitor: visitors[0][0], seat };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the agent's seat and the visitor's connection did not both appear in the database");
}

/**
 * Round-robin gives each request the next node, so where a socket lands depends on how many
 * requests came before it. Until the agent's console is on the other node from the visitor,
 * reload it, with one request of ours between every other try to change the count's parity.
 */
async function onDifferentNodes(visitor, agent) {
  let nodes = await connectedNodes(env.server);
  for (let attempt = 0; nodes.agent === nodes.visitor; attempt++) {
    assert.ok(attempt < 20, "nginx kept sending the agent to the visitor's node");
    if (attempt % 2 === 1) await fetch(env.server.url + "/healthz");
    await agent.page.reload();
    await agent.page.locator(".top-bar__me").getByText("Demo Agent").waitFor();
    nodes = await connectedNodes(env.server, nodes.seat);
  }
  const running = env.server.sql("SELECT count(*) FROM nodes")[0][0];
  assert.equal(running, "2");
}

test("the handoff journey passes with the visitor and the agent on different nodes", { skip }, () =>
  handoffJourney(env, { bothConnected: onDifferentNodes, shots: "cluster-" }));
