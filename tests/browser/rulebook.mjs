// The rulebook pages as a clinician's browser sees them: Debian's Chromium, headless, driven by
// playwright-core. Visits /guideline and every topic page it links, and fails on anything a
// person would notice or a security review would flag:
//   - a status other than 200, a console error (a blocked style counts), an uncaught page error;
//   - not exactly one <h1>, a missing lang, a script element;
//   - a link to the service's own pages that does not answer 200 (fetched through the browser's
//     request context), a fragment link without its target;
//   - an external link that is not a well-formed https: URL; external links are never fetched:
//     every request to another origin is aborted and fails the run;
//   - the rituximab page not showing the configured dose, or showing the default in its place.
//
//   node tests/browser/rulebook.mjs http://127.0.0.1:PORT
//
// Environment: CHROMIUM (default /usr/bin/chromium); RULEBOOK_RITUXIMAB_MG_PER_M2, the dose the
// service under test was configured with (default 350), and RULEBOOK_DEFAULT_RITUXIMAB_MG_PER_M2,
// the default it must not show (default 375); RULEBOOK_SCREENSHOT_DIR to keep a PNG per page.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const LAUNCH_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--no-first-run",
];
const NAVIGATION_TIMEOUT_MS = 15_000;
const RITUXIMAB_PAGE = "/guideline/rituximab-full-course";

const started = performance.now();
const [baseArgument] = process.argv.slice(2);
if (!baseArgument) {
  console.error("usage: node tests/browser/rulebook.mjs <base-url>");
  process.exit(2);
}
const base = new URL(baseArgument);
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const configuredDose = process.env.RULEBOOK_RITUXIMAB_MG_PER_M2 ?? "350";
const defaultDose = process.env.RULEBOOK_DEFAULT_RITUXIMAB_MG_PER_M2 ?? "375";
const screenshotDir = process.env.RULEBOOK_SCREENSHOT_DIR;

const failures = [];
const failedAt = new Set(); // pages (and "network") with at least one failure
const fail = (where, message) => {
  failures.push(`${where}: ${message}`);
  failedAt.add(where);
};
const blockedRequests = [];
const ownLinks = new Map(); // URL without fragment -> the page that links it
const externalLinks = new Set();
let pagesChecked = 0;

const browser = await chromium.launch({
  executablePath,
  // The headless mode is chosen by --headless=new above, not by Playwright's default flag.
  headless: false,
  args: LAUNCH_ARGS,
});
try {
  const context = await browser.newContext();
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  // Only the service under test may be reached; anything else is recorded and aborted.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === base.origin) {
      return route.continue();
    }
    blockedRequests.push(url);
    return route.abort("blockedbyclient");
  });

  const index = new URL("/guideline", base).href;
  const topicPages = await checkPage(context, index);
  const visited = new Set([index]);
  for (const url of topicPages) {
    if (!visited.has(url)) {
      visited.add(url);
      await checkPage(context, url);
    }
  }
  if (topicPages.length === 0) {
    fail(index, "links no topic page");
  }
  if (!visited.has(new URL(RITUXIMAB_PAGE, base).href)) {
    fail(index, `does not link ${RITUXIMAB_PAGE}`);
  }

  // Every own link answers 200, fetched through the browser's request context.
  for (const [url, from] of ownLinks) {
    const response = await context.request.get(url, { maxRedirects: 0 });
    if (response.status() !== 200) {
      fail(from, `link ${url} answered ${response.status()}`);
    }
  }
  for (const url of blockedRequests) {
    fail("network", `a request left the service's origin: ${url}`);
  }
} finally {
  await browser.close();
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `rulebook in ${executablePath}: ${pagesChecked} pages, ${ownLinks.size} own links fetched, ` +
    `${externalLinks.size} external links checked (never fetched), ` +
    `${blockedRequests.length} off-origin requests, ${seconds} s`,
);
for (const failure of failures) {
  console.error(`FAIL ${failure}`);
}
const failedPages = [...failedAt].filter((where) => where !== "network").length;
console.log(`${pagesChecked - failedPages} passed, ${failedAt.size} failed`);
process.exit(failures.length === 0 ? 0 : 1);

/** Loads one page, checks it, records its links; returns the topic pages it links. */
async function checkPage(context, url) {
  pagesChecked += 1;
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  try {
    const response = await page.goto(url, { waitUntil: "load" });
    if (response === null || response.status() !== 200) {
      fail(url, `status ${response?.status() ?? "none"}`);
    }
    const headers = response?.headers() ?? {};
    if (!(headers["content-security-policy"] ?? "").startsWith("default-src 'none'")) {
      fail(url, "no strict Content-Security-Policy");
    }

    const shape = await page.evaluate(() => ({
      h1: document.querySelectorAll("h1").length,
      lang: document.documentElement.lang,
      title: document.title,
      scripts: document.scripts.length,
      main: document.querySelectorAll("main").length,
      unscopedHeaders: [...document.querySelectorAll("th")].filter((th) => !th.hasAttribute("scope")).length,
      links: [...document.querySelectorAll("a[href]")].map((a) => ({
        raw: a.getAttribute("href"),
        href: a.href,
      })),
    }));
    if (shape.h1 !== 1) fail(url, `${shape.h1} h1 elements`);
    if (shape.lang !== "en") fail(url, `lang is "${shape.lang}"`);
    if (shape.title.trim() === "") fail(url, "no title");
    if (shape.scripts !== 0) fail(url, `${shape.scripts} script elements`);
    if (shape.main !== 1) fail(url, `${shape.main} main landmarks`);
    if (shape.unscopedHeaders !== 0) fail(url, `${shape.unscopedHeaders} table headers without scope`);

    const topics = [];
    for (const link of shape.links) {
      const target = new URL(link.href);
      if (target.origin === base.origin) {
        if (target.hash !== "" && target.pathname === new URL(url).pathname) {
          const id = decodeURIComponent(target.hash.slice(1));
          const exists = await page.evaluate((wanted) => document.getElementById(wanted) !== null, id);
          if (!exists) fail(url, `link ${link.raw} has no target`);
        }
        target.hash = "";
        if (!ownLinks.has(target.href)) ownLinks.set(target.href, url);
        if (target.pathname.startsWith("/guideline/")) topics.push(target.href);
      } else {
        checkExternal(url, link.raw);
      }
    }

    if (new URL(url).pathname === RITUXIMAB_PAGE) {
      await checkConfiguredDose(page, url);
    }
    if (screenshotDir) {
      await mkdir(screenshotDir, { recursive: true });
      const name = new URL(url).pathname.replaceAll("/", "_").replace(/^_/, "") || "index";
      await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
    }
    // Late console messages (a style refused after load) arrive before the page closes.
    await page.waitForTimeout(50);
    for (const problem of problems) fail(url, problem);
    return topics;
  } finally {
    await page.close();
  }
}

/** An external link must be a well-formed absolute https: URL; it is never fetched. */
function checkExternal(from, raw) {
  let parsed;
  try {
    parsed = new URL(raw);
  } catch {
    fail(from, `external link ${raw} is not an absolute URL`);
    return;
  }
  if (parsed.protocol !== "https:" || parsed.hostname === "" || parsed.username !== "" || /\s/.test(raw)) {
    fail(from, `external link ${raw} is not a well-formed https: URL`);
    return;
  }
  externalLinks.add(parsed.href);
}

/** The rituximab page shows the configured dose and, outside the evidence it quotes, never the default. */
async function checkConfiguredDose(page, url) {
  const section = (id) => page.locator(`section[aria-labelledby="${id}"]`).innerText();
  const parameters = await section("parameters");
  const proposes = await section("proposes");
  if (!parameters.includes(`${configuredDose} mg/m2 per dose`)) {
    fail(url, `the parameters table does not show ${configuredDose} mg/m2 per dose`);
  }
  if (!proposes.includes(`Rituximab ${configuredDose} mg/m2`)) {
    fail(url, `the proposal does not show rituximab ${configuredDose} mg/m2`);
  }
  // The evidence table may quote the dose a study used; nothing else may show the default.
  const outsideEvidence = await page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelector('section[aria-labelledby="evidence"]')?.remove();
    return copy.textContent;
  });
  if (outsideEvidence.includes(defaultDose)) {
    fail(url, `shows the default ${defaultDose} outside the evidence it quotes`);
  }
}
