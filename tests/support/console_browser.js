/*
 * console_browser.js PLAN.json: drive the reviewers' console (/console) in
 * Debian's chromium, headless, with playwright-core (deploy/npm.sh installs
 * it; it downloads no browser). tests/integration/test_console.py writes the
 * plan and checks what the server recorded afterwards.
 *
 * The plan: {"base": URL, "chromium": PATH, "username", "password",
 *            "steps": [STEP...], "screenshot": PNG (optional)}; a step is one of
 *   {"do": "login_wrong", "password"}     a wrong password shows the problem
 *   {"do": "login"}                       logs in; the queue shows
 *   {"do": "queue", "status", "q", "expect_ids": [...], "absent_ids": [...]}
 *   {"do": "literal_text", "id", "text", "org"?}  the row shows text (and org) literally (no HTML)
 *   {"do": "fits", "id"}                  the queue and the row's detail fit the page's
 *                                         width (no horizontal scrolling)
 *   {"do": "claim_refused", "id"}         claiming a claim held by another fails visibly
 *   {"do": "reject", "id", "reason"}      claim, view the scan, reject
 *   {"do": "claim_release", "id"}        claim, view the scan, release the claim
 *   {"do": "approve", "id", "code", "from", "until", "scan": "image"|"pdf", "png"}
 *                                         claim, view the scan, preview, approve with
 *                                         the generated seal (or the PNG file png)
 * Every step checks what a reviewer would see. The script also fails on any
 * Content-Security-Policy violation, page error or console error the page
 * did not expect. It prints one JSON line of observations and exits 0, or
 * prints what went wrong and exits 1.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const NPM = path.join(__dirname, '..', '..', 'deploy', 'npm', 'node_modules');
let chromium;
try {
	({ chromium } = require(path.join(NPM, 'playwright-core')));
} catch (e) {
	console.error('console_browser: playwright-core is not installed: run deploy/npm.sh');
	process.exit(1);
}

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const T = 30000; /* per wait (a loaded CI machine runs sanitized servers): a step that hangs fails instead of the test */

function fail(msg) {
	throw new Error(msg);
}

async function visible(page, sel) {
	await page.locator(sel).waitFor({ state: 'visible', timeout: T });
}

async function messageOf(page, wantError) {
	const m = page.locator('#message');
	await m.waitFor({ state: 'visible', timeout: T });
	const cls = (await m.getAttribute('class')) || '';
	if (wantError !== undefined && cls.includes('error') !== wantError)
		fail('message "' + (await m.textContent()) + '" is ' + (wantError ? 'not ' : '') +
			'an error');
	return m.textContent();
}

/* Wait until #message shows text matching re (the action finished). */
async function waitMessage(page, re, wantError) {
	const deadline = Date.now() + T;
	let last = '';
	while (Date.now() < deadline) {
		const m = page.locator('#message');
		if (await m.isVisible()) {
			last = await m.textContent();
			if (re.test(last)) {
				await messageOf(page, wantError);
				return last;
			}
		}
		await page.waitForTimeout(50);
	}
	fail('expected a message matching ' + re + ', saw "' + last + '"');
}

async function imageLoaded(page, sel) {
	await visible(page, sel);
	await page.waitForFunction((s) => {
		const i = document.querySelector(s);
		return i && i.complete && i.naturalWidth > 0;
	}, sel, { timeout: T });
	return page.$eval(sel, (i) => ({ w: i.naturalWidth, h: i.naturalHeight,
		src: i.getAttribute('src') }));
}

async function openRow(page, id) {
	const row = page.locator('#queue-rows tr[data-id="' + id + '"]');
	await row.waitFor({ state: 'visible', timeout: T });
	await row.click();
	await page.waitForFunction((want) => {
		const d = document.getElementById('d-id');
		return !document.getElementById('detail').hidden && d.textContent === want;
	}, String(id), { timeout: T });
}

async function showQueue(page, status, q) {
	await page.selectOption('#filter-status', status === undefined ? 'under_review' : status);
	await page.fill('#filter-q', q || '');
	await page.click('#filter-apply');
	await page.waitForFunction(() => !document.getElementById('filter-apply').disabled,
		null, { timeout: T });
}

async function rowIds(page) {
	return page.$$eval('#queue-rows tr', (trs) => trs.map((t) => t.dataset.id));
}

/* Claim the application and view its scan, as a reviewer starts every review. */
async function claimAndView(page, step, out) {
	await openRow(page, step.id);
	await page.click('#claim');
	await waitMessage(page, /^Claimed until /, false);
	await visible(page, '#review-tools');
	if (step.scan === 'pdf') {
		await visible(page, '#scan-pdf');
		const href = await page.getAttribute('#scan-link', 'href');
		if (!href || !href.startsWith('blob:'))
			fail('the PDF scan link is not a blob: URL: ' + href);
		out.scan = { kind: 'pdf', href };
	} else {
		const img = await imageLoaded(page, '#scan-img');
		if (!img.src.startsWith('blob:'))
			fail('the scan is not shown from a blob: URL: ' + img.src);
		out.scan = { kind: 'image', w: img.w, h: img.h };
	}
	const claim = await page.textContent('#d-claim');
	if (!claim.includes(plan.username))
		fail('the claim does not name this reviewer: "' + claim + '"');
}

async function run() {
	const browser = await chromium.launch({
		executablePath: plan.chromium,
		headless: true,
		/* Root in CI has no user namespace sandbox: chromium refuses to
		 * start sandboxed as root. The page under test is our own. */
		args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
	});
	const obs = { steps: [], violations: [], errors: [] };
	try {
		const ctx = await browser.newContext({ acceptDownloads: true });
		const page = await ctx.newPage();
		page.setDefaultTimeout(T);
		page.on('pageerror', (e) => obs.errors.push('pageerror: ' + e.message));
		page.on('console', (m) => {
			const t = m.text();
			if (/Content Security Policy|Refused to/.test(t))
				obs.violations.push(t);
			else if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404|409|422|400)/.test(t))
				obs.errors.push('console: ' + t);
		});
		await page.addInitScript(() => {
			document.addEventListener('securitypolicyviolation', (e) => {
				console.error('Content Security Policy violation: ' + e.violatedDirective +
					' ' + e.blockedURI);
			});
		});
		const resp = await page.goto(plan.base + '/console', { waitUntil: 'load' });
		if (resp.status() !== 200)
			fail('GET /console answered ' + resp.status());
		obs.csp = resp.headers()['content-security-policy'] || '';
		await visible(page, '#login-view');

		for (const step of plan.steps) {
			const out = { do: step.do, id: step.id };
			switch (step.do) {
			case 'login_wrong':
				await page.fill('#login-username', plan.username);
				await page.fill('#login-password', step.password);
				await page.click('#login-submit');
				out.message = await waitMessage(page, /invalid_credentials/, true);
				if (!(await page.isVisible('#login-view')) || (await page.isVisible('#work-view')))
					fail('a wrong password left the login form');
				break;
			case 'login':
				await page.fill('#login-username', plan.username);
				await page.fill('#login-password', plan.password);
				await page.click('#login-submit');
				await visible(page, '#work-view');
				out.who = await page.textContent('#who-name');
				if (out.who !== plan.username)
					fail('the header names "' + out.who + '", not the reviewer');
				if (await page.inputValue('#login-password') !== '')
					fail('the password stays in the form after login');
				break;
			case 'queue': {
				await showQueue(page, step.status, step.q);
				out.ids = await rowIds(page);
				for (const id of step.expect_ids || [])
					if (!out.ids.includes(String(id)))
						fail('the queue lacks ' + id + ': ' + out.ids.join(','));
				for (const id of step.absent_ids || [])
					if (out.ids.includes(String(id)))
						fail('the queue shows ' + id + ' it should not: ' + out.ids.join(','));
				if (step.ordered && JSON.stringify(out.ids) !== JSON.stringify(step.expect_ids.map(String)))
					fail('the queue is not oldest first: ' + out.ids.join(','));
				out.empty_note = await page.isVisible('#queue-empty');
				break;
			}
			case 'literal_text': {
				const row = page.locator('#queue-rows tr[data-id="' + step.id + '"]');
				const cells = await row.locator('td').allTextContents();
				if (!cells.includes(step.text))
					fail('the row does not show "' + step.text + '" literally: ' + cells.join(' | '));
				if (step.org && !cells.some((c) => c.includes(step.org)))
					fail('the row does not show the organization "' + step.org + '" literally: ' +
					     cells.join(' | '));
				out.child_elements = await row.evaluate((tr) =>
					Array.from(tr.querySelectorAll('td')).reduce((n, td) => n + td.children.length, 0));
				if (out.child_elements !== 0)
					fail('text from an applicant became HTML elements');
				await openRow(page, step.id);
				if ((await page.textContent('#d-name')) !== step.text)
					fail('the detail does not show the name literally');
				if ((await page.$$('#d-name *')).length !== 0)
					fail('the detail turned the name into HTML');
				break;
			}
			case 'cells': {
				/* what a reviewer reads in a row and in its detail */
				const row = page.locator('#queue-rows tr[data-id="' + step.id + '"]');
				out.cells = await row.locator('td').allTextContents();
				await openRow(page, step.id);
				out.status = await page.textContent('#d-status');
				out.submitted = await page.textContent('#d-submitted');
				const q = await page.$('#filter-q');
				out.placeholder_cut = await q.evaluate((e) => {
					const c = document.createElement('canvas').getContext('2d');
					c.font = getComputedStyle(e).font;
					return c.measureText(e.placeholder).width > e.clientWidth;
				});
				break;
			}
			case 'fits': {
				const over = () => page.evaluate(() => {
					const d = document.documentElement;
					return d.scrollWidth - d.clientWidth;
				});
				out.queue_over = await over();
				await openRow(page, step.id);
				out.detail_over = await over();
				if (out.queue_over > 0 || out.detail_over > 0)
					fail('the page scrolls sideways: ' + out.queue_over + ' px over with the ' +
						'queue, ' + out.detail_over + ' px with the detail');
				break;
			}
			case 'claim_refused':
				await openRow(page, step.id);
				await page.click('#claim');
				out.message = await waitMessage(page, /claim/i, true);
				if (await page.isVisible('#review-tools'))
					fail('the review tools show for a claim held by another reviewer');
				break;
			case 'claim_release':
				await claimAndView(page, step, out);
				await page.click('#release');
				await waitMessage(page, /^Released\.$/, false);
				if (await page.isVisible('#review-tools'))
					fail('the review tools stay after the claim was released');
				if ((await page.textContent('#d-claim')) !== 'unclaimed')
					fail('the detail still shows a claim after release');
				break;
			case 'reject':
				await claimAndView(page, step, out);
				await page.fill('#reject-reason', step.reason);
				await page.click('#reject');
				out.message = await waitMessage(page, /^Rejected\.$/, false);
				await page.waitForFunction(() =>
					document.getElementById('d-status').textContent === 'rejected',
				null, { timeout: T });
				out.note = await page.textContent('#d-note');
				if (out.note !== step.reason)
					fail('the detail does not show the reason: ' + out.note);
				break;
			case 'approve': {
				await claimAndView(page, step, out);
				if (step.code)
					await page.fill('#seal-code', step.code);
				await page.click('#preview');
				const img = await imageLoaded(page, '#seal-preview');
				out.preview = { w: img.w, h: img.h };
				if (img.w < 120 || img.w !== img.h)
					fail('the seal preview is not a square picture: ' + img.w + 'x' + img.h);
				if (step.from)
					await page.fill('#valid-from', step.from);
				if (step.until)
					await page.fill('#valid-until', step.until);
				if (step.png) {
					await page.setInputFiles('#image-file', step.png);
					if (!(await page.isChecked('#image-upload')))
						fail('choosing a PNG does not select the uploaded picture');
				} else {
					await page.check('#image-generated');
				}
				await page.click('#approve');
				out.message = await waitMessage(page, /^Approved: seal \S+ issued\.$/, false);
				out.seal_id = await page.textContent('#d-seal');
				await page.waitForFunction(() =>
					document.getElementById('d-status').textContent === 'approved',
				null, { timeout: T });
				break;
			}
			default:
				fail('unknown step ' + step.do);
			}
			obs.steps.push(out);
		}
		/* For a person to look at (plan.screenshot: a PNG path), e.g. after a change. */
		if (plan.screenshot)
			await page.screenshot({ path: plan.screenshot, fullPage: true });
		if (obs.violations.length)
			fail('Content-Security-Policy violations: ' + obs.violations.join('; '));
		if (obs.errors.length)
			fail('errors in the page: ' + obs.errors.join('; '));
	} finally {
		await browser.close();
	}
	return obs;
}

run().then((obs) => {
	process.stdout.write(JSON.stringify(obs) + '\n');
}, (e) => {
	process.stderr.write('console_browser: ' + e.message + '\n');
	process.exit(1);
});
