// node drive.mjs <origin> [scenario...]: runs the scenarios of www/tests.js in
// headless Chromium (Debian's /usr/bin/chromium through playwright-core) on a
// page served over https, the test CA trusted through the NSS db in
// $NSS_HOME/.pki/nssdb (no certificate-error flags). Prints one line per
// scenario and "N passed, M failed"; exits 1 on a failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [origin, ...only] = process.argv.slice(2);
if (!origin || !process.env.NSS_HOME) {
  console.error('usage: NSS_HOME=DIR node drive.mjs https://127.0.0.1:PORT [scenario...]');
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), 'tether-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  ],
  env: { ...process.env, HOME: process.env.NSS_HOME },
  timeout: 60000,
});
let passed = 0, failed = 0;

async function exampleChat(o) {
  const open = async () => {
    const p = await ctx.newPage();
    p.on('pageerror', (e) => console.log('  example page error:', e.message));
    await p.goto(o + '/', { timeout: 20000 });
    await p.waitForFunction(() => document.getElementById('status').textContent.startsWith('connected over'), null, { timeout: 30000 });
    return p;
  };
  const a = await open();
  const b = await open();
  const said = 'hello from tab A ' + Date.now();
  await a.fill('#text', said);
  await a.press('#text', 'Enter');
  await b.waitForFunction((s) => [...document.querySelectorAll('#log li')].some((li) => li.textContent === s), said, { timeout: 15000 });
  const status = await b.evaluate(() => document.getElementById('status').textContent);
  await a.close();
  await b.close();
  return { said, status };
}
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => console.log('  page error:', e.message));
  page.on('console', (m) => { if (m.type() === 'error' || process.env.VERBOSE) console.log('  console:', m.text()); });
  await page.goto(origin + '/', { timeout: 20000 });
  await page.waitForFunction(() => window.tetherReady !== undefined, null, { timeout: 30000 });
  const ready = await page.evaluate(() => window.tetherReady);
  if (ready !== true) throw new Error('the bundle did not load: ' + ready);
  const names = only.length ? only.filter((n) => n !== 'example_chat') : await page.evaluate(() => window.scenarioNames);
  // Scenarios named via_<proxy>... run on a page loaded through that nginx origin (another origin than the
  // backend's, which they get as an argument).
  const proxied = {};
  const pageFor = async (name) => {
    const m = /^via_([a-z]+)/.exec(name);
    if (!m) return page;
    const o = process.env['ORIGIN_' + m[1].toUpperCase()];
    if (!o) throw new Error(`${name}: no ORIGIN_${m[1].toUpperCase()} given (run it through wasm/test/run.sh)`);
    if (!proxied[o]) {
      const p = await ctx.newPage();
      p.on('pageerror', (e) => console.log('  page error:', e.message));
      await p.goto(o + '/', { timeout: 20000 });
      await p.waitForFunction(() => window.tetherReady !== undefined, null, { timeout: 30000 });
      const ok = await p.evaluate(() => window.tetherReady);
      if (ok !== true) throw new Error(`the bundle did not load through ${o}: ${ok}`);
      proxied[o] = p;
    }
    return proxied[o];
  };
  for (const name of names) {
    const t0 = Date.now();
    let r;
    try {
      const p = await pageFor(name);
      r = await p.evaluate(([n, o]) => window.run(n, o), [name, origin]);
    } catch (e) {
      r = { ok: false, detail: e.message.split('\n')[0] };
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (r.ok) {
      passed++;
      console.log(`ok   ${name} (${secs}s) ${JSON.stringify(r.detail)}`);
    } else {
      failed++;
      console.log(`FAIL ${name} (${secs}s) ${r.detail}`);
    }
  }
  // examples/browser served by a real `tether serve --static --mode chat`: a line typed in one tab appears in
  // another.
  if (process.env.ORIGIN_EXAMPLE && (!only.length || only.includes('example_chat'))) {
    const t0 = Date.now();
    try {
      const detail = await exampleChat(process.env.ORIGIN_EXAMPLE);
      passed++;
      console.log(`ok   example_chat (${((Date.now() - t0) / 1000).toFixed(1)}s) ${JSON.stringify(detail)}`);
    } catch (e) {
      failed++;
      console.log(`FAIL example_chat (${((Date.now() - t0) / 1000).toFixed(1)}s) ${e.message.split('\n')[0]}`);
    }
  }
} catch (e) {
  failed++;
  console.log('FAIL driver:', e.message.split('\n')[0]);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
