// Business hours and mail, with a real SMTP server on loopback: outside the site's hours the
// widget says when the team is back (on the visitor's clock) before anyone asks for a person;
// a visitor who asks anyway leaves their email and goes; the agent's reply reaches them by
// mail with a link that opens the same thread on another device, where they answer; after the
// chat they ask for the transcript by email.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { freePort, launchBrowser, screenshot, startMailServer, startServer } from "./harness.mjs";
import { agentSignedIn, openMine, resolveOpen } from "./handoff-journey.mjs";

const day = 24 * 3600 * 1000;
const isoDate = (time) => new Date(time).toISOString().slice(0, 10);
// Closed today and tomorrow (holidays, in the site's zone: UTC); back the day after at 09:00.
const now = Date.now();
const back = new Date(isoDate(now + 2 * day) + "T09:00:00Z");

function config(smtpPort) {
  return `
[server]
listen = "127.0.0.1:0"
database = "unused.sqlite3"
assets = "dist"
public = "public"
demo = true

[server.smtp]
host = "127.0.0.1"
port = ${smtpPort}
security = "none"
from = "Acme Help <help@acme.example>"

[[site]]
id = "demo"
name = "Acme Outfitters (demo)"
locale = "en"
allowed_origins = ["self"]

[site.hours]
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"
sat = "09:00-17:00"
sun = "09:00-17:00"
holidays = ["${isoDate(now)}", "${isoDate(now + day)}"]

[site.knowledge_base]
en = "examples/faq/en.toml"
`;
}

const env = {};
before(async () => {
  const port = await freePort();
  env.mail = await startMailServer(port);
  env.server = await startServer({ configText: config(port) });
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
  await env.mail?.stop();
});

/** A visitor's browser in Tokyo: the widget tells time on its clock. */
async function tokyoVisitor() {
  const context = await env.browser.newContext({
    viewport: { width: 1280, height: 800 },
    timezoneId: "Asia/Tokyo",
    locale: "en-US",
  });
  return { context, page: await context.newPage() };
}

test("outside hours the widget says when the team is back; the reply goes by mail, its link opens the thread, and the transcript follows", async () => {
  const when = back.toLocaleString("en-US", {
    weekday: "long",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
    timeZone: "Asia/Tokyo",
  });
  assert.match(when, /6:00 PM GMT\+9$/);

  const first = await tokyoVisitor();
  await first.page.goto(env.server.url + "/");
  await first.page.locator("[data-ito] button.launcher").click();
  const widget = first.page.frameLocator("[data-ito] iframe");
  await widget.getByText(`Our team is away until ${when}.`, { exact: false }).waitFor();
  await screenshot(first.page, "widget-away");

  await widget.getByRole("button", { name: "Talk to a person" }).first().click();
  await widget.getByText(`Our team is back ${when}. Leave your message here`, { exact: false }).waitFor();
  const composer = widget.locator("textarea.ito-composer__input");
  await composer.fill("My order 1042 has not arrived");
  await composer.press("Enter");
  const offer = widget.locator(".ito-email-form");
  await offer.getByLabel("Your email").fill("mika@example");
  await offer.getByRole("button").click();
  // Refused by the browser, in its own words on the field, and nothing is sent.
  const bubble = await offer.getByLabel("Your email").evaluate((input) => input.validationMessage);
  assert.match(bubble, /match the requested format/);
  assert.ok(await offer.isVisible());
  await offer.getByLabel("Your email").fill("mika@example.com");
  await screenshot(first.page, "widget-email-offer");
  await offer.getByRole("button").click();
  // Answered after the message before it was stored: nothing is left to send when she goes.
  await widget.getByText("Thanks! If you've gone when they reply, we'll email you.").waitFor();
  await first.context.close();

  // An agent online outside hours still answers.
  const agent = await agentSignedIn(env);
  await openMine(agent.page, "My order 1042 has not arrived");
  const reply = agent.page.getByLabel("Reply", { exact: true });
  await reply.fill("Sorry about that, Mika: it ships tomorrow.");
  await reply.press("Enter");

  const [mailed] = await env.mail.waitFor(1);
  assert.deepEqual(mailed.to, ["mika@example.com"]);
  assert.equal(mailed.subject, "Demo Agent replied to your message to Acme Outfitters (demo)");
  assert.match(mailed.body, /Sorry about that, Mika: it ships tomorrow\./);
  const link = mailed.body.match(/(http:\/\/127\.0\.0\.1:\d+\/embed\/demo\?locale=en#resume=\S+)/)[1];

  // Another device, from the mail: the same thread, with the reply, and she answers in it.
  const second = await tokyoVisitor();
  await second.page.goto(link);
  const thread = second.page.locator("body");
  await thread.getByText("Sorry about that, Mika: it ships tomorrow.").waitFor();
  await thread.getByText("My order 1042 has not arrived").waitFor();
  assert.ok(!second.page.url().includes("resume="), "the token is taken off the address");
  await screenshot(second.page, "widget-resumed-from-mail");
  const again = second.page.locator("textarea.ito-composer__input");
  await again.fill("Great, thank you!");
  await again.press("Enter");
  await agent.page.locator(".conversation").getByText("Great, thank you!").waitFor();

  await resolveOpen(agent.page, thread);
  const transcriptForm = second.page.locator(".ito-email-form").last();
  await transcriptForm.getByLabel("Your email").fill("mika@example.com");
  await transcriptForm.getByRole("button").click();
  await thread.getByText("The conversation is on its way to your inbox.").waitFor();
  await screenshot(second.page, "widget-transcript-sent");

  const mails = await env.mail.waitFor(2);
  assert.equal(mails.length, 2, "the answer she read in the widget was not mailed");
  const transcript = mails[1];
  assert.equal(transcript.subject, "Your conversation with Acme Outfitters (demo)");
  for (const said of [
    "Times are Asia/Tokyo.",
    "You: My order 1042 has not arrived",
    "Demo Agent: Sorry about that, Mika: it ships tomorrow.",
    "You: Great, thank you!",
  ]) {
    assert.ok(transcript.body.includes(said), `${said} in ${transcript.body}`);
  }
  await agent.context.close();
  await second.context.close();
});
