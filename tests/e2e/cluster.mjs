// Several Ito nodes on one throwaway PostgreSQL database behind a real nginx that balances
// them round-robin, for the end-to-end tests. `cargo xtask test` starts the PostgreSQL cluster
// and names it in ITO_E2E_POSTGRES; nginx is Debian's (from `cargo xtask setup`).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot, startServer } from "./harness.mjs";

const NGINX = "/usr/sbin/nginx";

/** `postgres://user@host:port` of the cluster the tests may use, if any. */
export const postgresServer = process.env.ITO_E2E_POSTGRES;

/** Debian keeps psql in its versioned PostgreSQL folder; the newest one, else psql on PATH. */
function psqlProgram() {
  const root = "/usr/lib/postgresql";
  let versions = [];
  try {
    versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a);
  } catch {
    return "psql";
  }
  return versions.length ? path.join(root, versions[0], "bin/psql") : "psql";
}

/** Runs SQL on `database` and returns psql's unaligned rows, each a list of fields. */
export function sql(database, statement) {
  const run = spawnSync(psqlProgram(), [database, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement], {
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`psql failed on ${statement}: ${run.stderr}${run.error ?? ""}`);
  return run.stdout.split("\n").filter((line) => line !== "").map((line) => line.split("|"));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * examples/nginx.conf made to run here: its TLS server listening on a free loopback port
 * without TLS, its upstream listing `upstreams`, its files kept in `dir`.
 */
function nginxConfig(upstreams, port, dir) {
  const example = readFileSync(path.join(repoRoot, "examples/nginx.conf"), "utf8");
  const https = example.split("    server {\n        listen 80;")[0].trimEnd() + "\n}\n";
  const servers = upstreams.map((address) => `server ${address};`).join("\n        ");
  const body = https
    .replace("listen 443 ssl;", `listen 127.0.0.1:${port};`)
    .replace("server 127.0.0.1:8080;", servers)
    .split("\n")
    .filter((line) => !line.includes("ssl_certificate") && !line.includes("http2 on;"))
    .join("\n")
    .replace(
      "http {",
      ["http {", "    access_log off;", ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `    ${t}_temp_path ${dir}/${t};`)].join("\n"),
    );
  return `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${body}\n`;
}

async function startNginx(upstreams) {
  const dir = mkdtempSync(path.join(tmpdir(), "ito-nginx-"));
  const port = await freePort();
  const config = path.join(dir, "nginx.conf");
  writeFileSync(config, nginxConfig(upstreams, port, dir));
  // One process, so round-robin alternates strictly between the nodes.
  const child = spawn(NGINX, ["-p", dir, "-c", config, "-g", "daemon off; master_process off; user root;"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(url + "/healthz");
      break;
    } catch (error) {
      if (attempt === 200) throw new Error(`nginx did not start: ${readFileSync(path.join(dir, "error.log"), "utf8")}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `nodes` Ito nodes with the demo config on a fresh PostgreSQL database, behind nginx. The
 * returned `url` is nginx's, the address visitors and agents use; `sql` runs a statement on
 * the nodes' database.
 */
export async function startCluster({ nodes = 2 } = {}) {
  if (!postgresServer) throw new Error("ITO_E2E_POSTGRES is not set");
  const name = `ito_e2e_${process.pid}_${Date.now()}`;
  sql(`${postgresServer}/postgres`, `CREATE DATABASE ${name}`);
  const database = `${postgresServer}/${name}`;
  const started = [];
  // One after another: the first migrates the database and makes the demo agent.
  for (let n = 0; n < nodes; n++) started.push(await startServer({ database }));
  const nginx = await startNginx(started.map((node) => node.url.replace("http://", "")));
  return {
    url: nginx.url,
    agent: started[0].agent,
    sql: (statement) => sql(database, statement),
    async stop() {
      await nginx.stop();
      for (const node of started) await node.stop();
      sql(`${postgresServer}/postgres`, `DROP DATABASE ${name} WITH (FORCE)`);
    },
  };
}
