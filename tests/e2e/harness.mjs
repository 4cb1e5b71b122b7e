// Shared set-up for the end-to-end tests: an Ito server on a free loopback port with a fresh
// database, and headless Chromium from the system (never a downloaded browser).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const screenshotDir = path.join(repoRoot, "target/e2e");

/**
 * Starts `ito serve` with the demo config on a fresh database; resolves once it prints its
 * address. With `seed: true` the database first gets `ito seed-demo`'s weeks of conversations;
 * `listen` picks the address (a free port by default); `database` is a PostgreSQL URL to use
 * instead of a new SQLite file; `configText` is an ito.toml to serve instead of the demo's.
 */
export async function startServer({ seed = false, listen = "127.0.0.1:0", database, configText } = {}) {
  const bin = process.env.ITO_BIN ?? path.join(repoRoot, "target/debug/ito");
  const dataDir = mkdtempSync(path.join(tmpdir(), "ito-e2e-"));
  database ??= path.join(dataDir, "ito.sqlite3");
  let config = "examples/ito.toml";
  if (configText) {
    config = path.join(dataDir, "ito.toml");
    writeFileSync(config, configText);
  }
  if (seed) {
    const seeded = spawnSync(bin, ["seed-demo", "--config", "examples/ito.toml", "--database", database], { cwd: repoRoot });
    if (seeded.status !== 0) throw new Error(`ito seed-demo failed: ${seeded.stderr}`);
  }
  const child = spawn(
    bin,
    ["serve", "--config", config, "--listen", listen, "--database", database],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
  );
  const { url, agentPassword } = await new Promise((resolve, reject) => {
    let printed = "";
    child.stdout.on("data", (chunk) => {
      printed += chunk;
      const address = printed.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      // The demo config prints the demo agent's login right after the addresses.
      const agent = printed.match(/demo agent +demo@ito\.example \/ (\S+)/);
      if (address && agent) resolve({ url: address[1], agentPassword: agent[1] });
    });
    child.on("exit", (code) => reject(new Error(`ito serve exited with ${code} before listening:\n${printed}`)));
  });
  return {
    url,
    agent: { email: "demo@ito.example", password: agentPassword },
    /** Adds an agent to this server's database, as `ito agent add` does; returns their login. */
    addAgent(email, name) {
      const password = "correct horse battery";
      const added = spawnSync(bin, ["agent", "add", "--email", email, "--name", name, "--config", "examples/ito.toml", "--database", database], {
        cwd: repoRoot,
        input: password + "\n",
      });
      if (added.status !== 0) throw new Error(`ito agent add failed: ${added.stderr}`);
      return { email, password };
    },
    async stop() {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      // Pages the tests serve with route.fulfill have no address, so Chromium counts them as
      // public and would refuse their requests to 127.0.0.1 (Local Network Access).
      "--disable-features=LocalNetworkAccessChecks",
    ],
  });
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export async function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A real SMTP server on 127.0.0.1:`port` (tests/smtp/mail_server.py on aiosmtpd, which
 * `cargo xtask setup --browser` installs); `received()` lists the mail it accepted, decoded.
 */
export async function startMailServer(port) {
  const folder = mkdtempSync(path.join(tmpdir(), "ito-mail-"));
  const child = spawn("python3", [path.join(repoRoot, "tests/smtp/mail_server.py"), "--port", String(port), "--dir", folder], {
    env: { ...process.env, PYTHONPATH: path.join(repoRoot, "target/python") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => String(chunk).includes("listening") && resolve());
    child.on("exit", (code) => reject(new Error(`the SMTP server exited with ${code}`)));
  });
  const received = () =>
    readdirSync(folder)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => JSON.parse(readFileSync(path.join(folder, name), "utf8")));
  return {
    received,
    /** Waits (up to a minute) until `count` mails arrived and returns them. */
    async waitFor(count) {
      for (let i = 0; i < 600; i++) {
        if (received().length >= count) return received();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${count} mails did not arrive (${received().length} did)`);
    },
    async stop() {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Opens the console in `page` and signs in as `agent` of `server` (its demo agent by default). */
export async function signInToConsole(page, server, agent = server.agent) {
  await page.goto(server.url + "/console/");
  await page.getByLabel("Email").fill(agent.email);
  await page.getByLabel("Password").fill(agent.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Collects the console errors the page logs that come from the Ito loader. */
export function itoConsoleErrors(page) {
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error" && message.text().startsWith("Ito:")) errors.push(message.text());
  });
  return errors;
}

/**
 * Starts an Ito server and a browser before the calling file's tests and stops both after
 * them; the returned object holds `server` and `browser` once the tests run.
 */
export function serverAndBrowser(options) {
  const env = {};
  before(async () => {
    env.server = await startServer(options);
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
