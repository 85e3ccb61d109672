/*
 * reference.js: renders the server's own OpenAPI description with Redoc
 * (redoc.standalone.js, served from this server: no CDN). A separate file,
 * not an inline script, so the pages run under script-src 'self'. Search is
 * off: it needs a worker built from a blob: URL, which the policy forbids.
 */
"use strict";
window.Redoc.init("/api/v1/openapi.json", {
	disableSearch: true,
	hideDownloadButton: false,
	expandResponses: "200,201",
	requiredPropsFirst: true,
	pathInMiddlePanel: true
}, document.getElementById("reference"));
