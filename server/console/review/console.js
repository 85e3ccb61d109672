/*
 * console.js: the reviewers' console. It talks only to the JSON API of this
 * server (/api/v1/auth/reviewer-login, /api/v1/review/...). Text that
 * organizations wrote (names, reasons, file types) is only ever set with
 * textContent, never parsed as HTML; scans and seal pictures are fetched
 * with the session token and shown from blob: URLs (so the token is never
 * in a URL). The session token lives in sessionStorage: it ends with the tab.
 */
'use strict';

(function () {
	const API = '/api/v1';
	const TOKEN_KEY = 'sealpact.review.token';
	const USER_KEY = 'sealpact.review.user';
	const $ = (id) => document.getElementById(id);

	let token = sessionStorage.getItem(TOKEN_KEY);
	let current = null; /* the application shown in the detail panel */
	let cursor = null; /* the queue's next page */
	const blobUrls = []; /* revoked when the detail panel changes */

	/* ---- messages ---- */

	function say(text, isError) {
		const m = $('message');
		m.textContent = text;
		m.classList.toggle('error', !!isError);
		m.hidden = false;
	}

	function clearMessage() {
		$('message').hidden = true;
		$('message').textContent = '';
	}

	/* An API error as one readable line: the problem's title, detail and code. */
	class ApiError extends Error {
		constructor(status, problem) {
			const p = problem || {};
			let text = p.title || ('HTTP ' + status);
			if (p.detail)
				text += ': ' + p.detail;
			if (p.code)
				text += ' (' + p.code + ')';
			super(text);
			this.status = status;
			this.code = p.code;
		}
	}

	/* ---- the API ---- */

	async function api(method, path, body, want) {
		const headers = {};
		if (token)
			headers.Authorization = 'Bearer ' + token;
		const init = { method, headers, cache: 'no-store', credentials: 'omit' };
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		let resp;
		try {
			resp = await fetch(API + path, init);
		} catch (e) {
			throw new Error('The server cannot be reached: ' + e.message);
		}
		const type = (resp.headers.get('Content-Type') || '').split(';')[0].trim();
		if (!resp.ok) {
			let problem = null;
			if (type === 'application/problem+json' || type === 'application/json') {
				try {
					problem = await resp.json();
				} catch (e) {
					problem = null;
				}
			}
			if (resp.status === 401 && token && path !== '/auth/reviewer-login') {
				logout(false);
				throw new ApiError(401, Object.assign({}, problem,
					{ title: 'Your session has ended: log in again' }));
			}
			throw new ApiError(resp.status, problem);
		}
		if (want === 'blob')
			return { blob: await resp.blob(), type };
		if (resp.status === 204)
			return null;
		return resp.json();
	}

	const enc = encodeURIComponent;

	/* ---- small helpers ---- */

	function text(el, value) {
		el.textContent = value === null || value === undefined || value === '' ? '—' : String(value);
	}

	function when(s) {
		if (!s)
			return '—';
		const d = new Date(s);
		/* One form for every reviewer's browser, in its own zone, which it names (the
		   server's times are UTC, and a bare time left the reader to guess):
		   2026-12-03 13:23:06 GMT+8. */
		return isNaN(d) ? String(s) : d.toLocaleString('sv-SE', {
			year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
			minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
		});
	}

	const TYPES = { official: 'official seal 公章', contract: 'contract seal 合同专用章' };

	function typeName(t) {
		return TYPES[t] || String(t || '—');
	}

	/* A status as the filter offers it: under_review is "under review". */
	function statusName(s) {
		return String(s || '—').replace(/_/g, ' ');
	}

	function claimText(c) {
		if (!c)
			return 'unclaimed';
		return (c.reviewer || '?') + (c.mine ? ' (you)' : '') + ' until ' + when(c.expires_at);
	}

	function objectUrl(blob) {
		const u = URL.createObjectURL(blob);
		blobUrls.push(u);
		return u;
	}

	function dropBlobs() {
		while (blobUrls.length)
			URL.revokeObjectURL(blobUrls.pop());
	}

	function isoDate(d) {
		return d.toISOString().slice(0, 10);
	}

	/* A button stays disabled while its action runs: no double submissions. */
	async function busy(button, fn) {
		button.disabled = true;
		try {
			await fn();
		} catch (e) {
			say(e.message, true);
		} finally {
			button.disabled = false;
		}
	}

	/* ---- login ---- */

	function showLoggedIn(user) {
		$('login-view').hidden = true;
		$('work-view').hidden = false;
		$('who').hidden = false;
		text($('who-name'), user);
	}

	function logout(callServer) {
		if (callServer && token)
			api('POST', '/auth/logout').catch(() => {});
		token = null;
		sessionStorage.removeItem(TOKEN_KEY);
		sessionStorage.removeItem(USER_KEY);
		current = null;
		dropBlobs();
		$('queue-rows').replaceChildren();
		$('detail').hidden = true;
		$('work-view').hidden = true;
		$('who').hidden = true;
		$('login-view').hidden = false;
		$('login-password').value = '';
	}

	async function login(ev) {
		ev.preventDefault();
		clearMessage();
		await busy($('login-submit'), async () => {
			const doc = await api('POST', '/auth/reviewer-login', {
				username: $('login-username').value,
				password: $('login-password').value,
			});
			$('login-password').value = '';
			token = doc.token;
			const user = doc.user && doc.user.username ? doc.user.username : '';
			sessionStorage.setItem(TOKEN_KEY, token);
			sessionStorage.setItem(USER_KEY, user);
			showLoggedIn(user);
			await loadQueue(false);
		});
	}

	/* ---- the queue ---- */

	function queueRow(a) {
		const tr = document.createElement('tr');
		tr.dataset.id = a.id;
		const org = a.organization || {};
		for (const v of [when(a.submitted_at || a.created_at), org.name, a.name,
			typeName(a.type), statusName(a.status), claimText(a.claim)]) {
			const td = document.createElement('td');
			text(td, v);
			tr.appendChild(td);
		}
		if (current && current.id === a.id)
			tr.classList.add('selected');
		tr.addEventListener('click', () => openApplication(a.id).catch((e) => say(e.message, true)));
		return tr;
	}

	async function loadQueue(more) {
		const params = new URLSearchParams();
		const status = $('filter-status').value;
		const q = $('filter-q').value.trim();
		if (status)
			params.set('status', status);
		if (q)
			params.set('q', q);
		if (more && cursor)
			params.set('cursor', cursor);
		const qs = params.toString();
		const doc = await api('GET', '/review/applications' + (qs ? '?' + qs : ''));
		const rows = $('queue-rows');
		const items = doc.items || [];
		if (!more)
			rows.replaceChildren();
		for (const a of items)
			rows.appendChild(queueRow(a));
		cursor = doc.next_cursor || null;
		$('queue-more').hidden = !cursor;
		$('queue-empty').hidden = rows.children.length > 0;
	}

	/* ---- one application ---- */

	function showApplication(a) {
		current = a;
		const org = a.organization || {};
		text($('d-id'), a.id);
		text($('d-status'), statusName(a.status));
		text($('d-org'), org.name);
		text($('d-code'), org.credit_code);
		text($('d-name'), a.name);
		text($('d-type'), typeName(a.type));
		text($('d-applicant'), typeof a.applicant === 'object' && a.applicant !== null
			? (a.applicant.name || a.applicant.username || a.applicant.id) : a.applicant);
		text($('d-replaces'), a.replaces_seal_id);
		text($('d-submitted'), when(a.submitted_at));
		text($('d-claim'), claimText(a.claim));
		text($('d-note'), a.review_note);
		text($('d-seal'), a.seal_id);
		$('detail').hidden = false;
		const mine = !!(a.claim && a.claim.mine);
		$('claim').hidden = a.status !== 'under_review' || mine;
		$('release').hidden = !mine;
		$('review-tools').hidden = !(mine && a.status === 'under_review');
		for (const tr of $('queue-rows').children)
			tr.classList.toggle('selected', tr.dataset.id === a.id);
	}

	async function openApplication(id) {
		clearMessage();
		dropBlobs();
		$('seal-preview').hidden = true;
		$('scan-img').hidden = true;
		$('scan-pdf').hidden = true;
		$('scan-none').hidden = true;
		const a = await api('GET', '/review/applications/' + enc(id));
		showApplication(a);
		if (!$('review-tools').hidden)
			await loadScan(a);
	}

	async function loadScan(a) {
		if (!a.scan) {
			$('scan-none').hidden = false;
			return;
		}
		const got = await api('GET', '/review/applications/' + enc(a.id) + '/scan', undefined, 'blob');
		if (got.type === 'image/png' || got.type === 'image/jpeg') {
			$('scan-img').src = objectUrl(new Blob([got.blob], { type: got.type }));
			$('scan-img').hidden = false;
		} else if (got.type === 'application/pdf') {
			/* Opened by the browser's own viewer, outside this page (CSP frame-src 'none'). */
			const link = $('scan-link');
			link.href = objectUrl(new Blob([got.blob], { type: 'application/pdf' }));
			link.download = 'scan-' + a.id + '.pdf';
			$('scan-pdf').hidden = false;
		} else {
			say('The scan has a type this console does not show: ' + got.type, true);
		}
	}

	async function claim() {
		const c = await api('POST', '/review/applications/' + enc(current.id) + '/claim');
		await openApplication(current.id);
		say('Claimed until ' + when(c && c.expires_at) + '.');
		await loadQueue(false);
	}

	async function release() {
		await api('DELETE', '/review/applications/' + enc(current.id) + '/claim');
		await openApplication(current.id);
		say('Released.');
		await loadQueue(false);
	}

	function sealCode() {
		const code = $('seal-code').value.trim();
		return code === '' ? undefined : code;
	}

	async function preview(ev) {
		ev.preventDefault();
		await busy($('preview'), async () => {
			clearMessage();
			const body = {};
			if (sealCode() !== undefined)
				body.code = sealCode();
			const got = await api('POST', '/review/applications/' + enc(current.id) + '/seal-preview',
				body, 'blob');
			$('seal-preview').src = objectUrl(new Blob([got.blob], { type: 'image/png' }));
			$('seal-preview').hidden = false;
		});
	}

	function fileBase64(file) {
		return new Promise((resolve, reject) => {
			const r = new FileReader();
			r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
			r.onerror = () => reject(new Error('The PNG file cannot be read.'));
			r.readAsDataURL(file);
		});
	}

	async function approve(ev) {
		ev.preventDefault();
		await busy($('approve'), async () => {
			clearMessage();
			const from = $('valid-from').value, until = $('valid-until').value;
			if (!from || !until)
				throw new Error('Give the validity period: both dates.');
			if (until <= from)
				throw new Error('The validity must end after it starts.');
			const body = {
				valid_from: from + 'T00:00:00Z',
				valid_until: until + 'T23:59:59Z',
				image: 'generated',
			};
			if ($('image-upload').checked) {
				const f = $('image-file').files[0];
				if (!f)
					throw new Error('Choose the PNG file to upload, or pick the generated seal.');
				body.image = await fileBase64(f);
			} else if (sealCode() !== undefined) {
				body.code = sealCode();
			}
			const id = current.id;
			const a = await api('POST', '/review/applications/' + enc(id) + '/approve', body);
			await loadQueue(false);
			await openApplication(id);
			say('Approved: seal ' + ((a && a.seal_id) || current.seal_id || '') + ' issued.');
		});
	}

	async function reject(ev) {
		ev.preventDefault();
		await busy($('reject'), async () => {
			clearMessage();
			const reason = $('reject-reason').value.trim();
			if (!reason)
				throw new Error('Give the reason the applicant will read.');
			const id = current.id;
			await api('POST', '/review/applications/' + enc(id) + '/reject', { reason });
			$('reject-reason').value = '';
			await loadQueue(false);
			await openApplication(id);
			say('Rejected.');
		});
	}

	/* ---- wiring ---- */

	function init() {
		const today = new Date();
		const later = new Date(today);
		later.setUTCFullYear(today.getUTCFullYear() + 3);
		$('valid-from').value = isoDate(today);
		$('valid-until').value = isoDate(later);

		$('login-form').addEventListener('submit', login);
		$('logout').addEventListener('click', () => logout(true));
		$('filter-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			clearMessage();
			busy($('filter-apply'), () => loadQueue(false));
		});
		$('queue-more').addEventListener('click', () => busy($('queue-more'), () => loadQueue(true)));
		$('claim').addEventListener('click', () => busy($('claim'), claim));
		$('release').addEventListener('click', () => busy($('release'), release));
		$('close-detail').addEventListener('click', () => {
			current = null;
			dropBlobs();
			$('detail').hidden = true;
		});
		$('preview-form').addEventListener('submit', preview);
		$('approve-form').addEventListener('submit', approve);
		$('reject-form').addEventListener('submit', reject);
		$('image-file').addEventListener('change', () => {
			$('image-upload').checked = true;
		});

		if (token) {
			showLoggedIn(sessionStorage.getItem(USER_KEY) || '');
			loadQueue(false).catch((e) => say(e.message, true));
		} else {
			$('login-view').hidden = false;
		}
	}

	init();
}());
