// Swagger UI smoke: runs the 'wasm' example of POST /api/v1/builds from the real Swagger UI page in headless
// Chromium, then follows the build it created until it finishes. Exit 0 only if the build succeeded.
//
//   BASE_URL=http://localhost:8080 API_KEY=<a key with builds:read and builds:write> node smoke.mjs
//
// Env: BASE_URL (default http://localhost:8080), API_KEY (required: entered through Swagger UI's Authorize button),
//      CHROMIUM_PATH (default /usr/bin/chromium),
//      SCREENSHOT (default /tmp/swagger-smoke.png), EXAMPLE (default wasm), BUILD_TIMEOUT_SECONDS (default 180).
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || 'http://localhost:8080').replace(/\/+$/, '');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT = process.env.SCREENSHOT || '/tmp/swagger-smoke.png';
const EXAMPLE = process.env.EXAMPLE || 'wasm';
const API_KEY = process.env.API_KEY || '';
if (!API_KEY) { console.error('API_KEY is required: the API needs a key (docker compose sets Auth__AdminKey).'); process.exit(2); }
const BUILD_TIMEOUT_MS = Number(process.env.BUILD_TIMEOUT_SECONDS || 180) * 1000;
const UI_TIMEOUT_MS = 30_000;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (msg) => console.log(`[${secs()}s] ${msg}`);
const fail = (msg) => {
  console.error(`SWAGGER SMOKE FAILED after ${secs()}s: ${msg}`);
  process.exit(1);
};

async function runInSwaggerUi() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));

    log(`opening ${BASE_URL}/swagger`);
    const nav = await page.goto(`${BASE_URL}/swagger`, { waitUntil: 'domcontentloaded' });
    if (!nav || !nav.ok()) throw new Error(`GET ${BASE_URL}/swagger answered ${nav ? nav.status() : 'nothing'}`);

    // Swagger UI's Authorize button: the key goes into the bearer field, and every request carries it.
    await page.locator('button.authorize').first().click();
    await page.locator('.modal-ux input').first().fill(API_KEY);
    await page.locator('.modal-ux button.authorize').first().click();
    await page.locator('.modal-ux button.btn-done, .modal-ux .close-modal').first().click();
    log('authorized with the API key');

    // The POST /api/v1/builds operation block (Swagger UI renders one .opblock per operation).
    const op = page.locator('.opblock.opblock-post')
      .filter({ has: page.locator('.opblock-summary-path[data-path="/api/v1/builds"]') });
    await op.first().waitFor({ state: 'visible' }).catch(() => {
      throw new Error('the POST /api/v1/builds operation did not appear in Swagger UI');
    });
    if (await op.count() !== 1) throw new Error(`expected one POST /api/v1/builds operation, found ${await op.count()}`);

    await op.locator('.opblock-summary').first().click();
    const body = op.locator('.opblock-section-request-body');
    await body.waitFor({ state: 'visible' });

    // Try it out is on by default here; press it if a future config turns that off.
    const tryItOut = op.locator('button.try-out__btn', { hasText: 'Try it out' });
    if (await tryItOut.count()) await tryItOut.click();

    const examples = body.locator('.examples-select select');
    await examples.waitFor({ state: 'visible' }).catch(() => {
      throw new Error('no examples dropdown in the request body of POST /api/v1/builds');
    });
    const options = await examples.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
    log(`examples: ${options.map((o) => `${o.value} ("${o.label}")`).join(', ')}`);
    if (!options.some((o) => o.value === EXAMPLE)) throw new Error(`no '${EXAMPLE}' example; found ${options.map((o) => o.value).join(', ')}`);
    await examples.selectOption({ value: EXAMPLE });

    // The editable body must now hold the chosen example.
    const textarea = body.locator('textarea.body-param__text');
    await page.waitForFunction(
      (el) => el && el.value.includes('wasi/wasm'), await textarea.elementHandle(), { timeout: UI_TIMEOUT_MS },
    ).catch(() => { throw new Error(`the request body did not switch to the '${EXAMPLE}' example`); });
    const sent = JSON.parse(await textarea.inputValue());

    log('clicking Execute');
    await op.locator('button.execute').click();

    const live = op.locator('.live-responses-table');
    await live.waitFor({ state: 'visible' }).catch(() => {
      throw new Error('no server response appeared in Swagger UI after Execute');
    });
    const status = Number((await live.locator('.response .response-col_status').first().innerText()).trim());
    const responseText = await live.locator('.response-col_description .highlight-code pre, .response-col_description pre.microlight').first().innerText();
    await live.scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    log(`screenshot saved to ${SCREENSHOT}`);

    let response;
    try { response = JSON.parse(responseText); } catch { response = null; }
    return { status, response, responseText, sent, problems };
  } finally {
    await browser.close();
  }
}

async function waitForBuild(id) {
  const url = `${BASE_URL}/api/v1/builds/${id}`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  let last;
  while (Date.now() < deadline) {
    const r = await fetch(url, { headers: { accept: 'application/json', authorization: `Bearer ${API_KEY}` } });
    if (!r.ok) throw new Error(`GET ${url} answered ${r.status}: ${(await r.text()).slice(0, 500)}`);
    const build = await r.json();
    const status = String(build.status).toLowerCase();
    if (status !== last) { log(`build ${id}: ${status}`); last = status; }
    if (TERMINAL.has(status)) return build;
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error(`build ${id} did not finish within ${BUILD_TIMEOUT_MS / 1000}s (last status: ${last})`);
}

let ui;
try {
  ui = await runInSwaggerUi();
} catch (e) {
  fail(e.message.split('\n')[0]); // Playwright appends a call log; its first line says what went wrong
}
for (const p of ui.problems) console.warn(`warning: ${p}`);
if (ui.status !== 202) fail(`Execute answered ${ui.status}, expected 202: ${ui.responseText.slice(0, 1000)}`);
const id = ui.response?.id;
if (!id) fail(`no build id in the response body shown by Swagger UI: ${ui.responseText.slice(0, 1000)}`);
log(`Swagger UI: 202, build ${id}`);

let build;
try {
  build = await waitForBuild(id);
} catch (e) {
  fail(e.message);
}
const status = String(build.status).toLowerCase();
const stages = (build.stages || []).map((s) => `${s.name}=${String(s.status).toLowerCase()}`).join(' ');
if (status !== 'succeeded') {
  const errors = (build.stages || []).filter((s) => s.error).map((s) => `${s.name}: ${s.error}`).join('; ');
  fail(`build ${id} ended ${status} (${stages})${errors ? ` — ${errors}` : ''}; see ${BASE_URL}/api/v1/builds/${id}/logs`);
}
console.log(`SWAGGER SMOKE OK: example '${EXAMPLE}' via ${BASE_URL}/swagger -> 202, build ${id} succeeded (${stages}) in ${secs()}s; screenshot ${SCREENSHOT}`);
