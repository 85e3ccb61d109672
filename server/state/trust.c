/*
 * trust.c: the process's trust store for certificate checks (login and
 * signing), built once at start-up from the immutable config. With no roots
 * configured the server still serves everything else, and the routes that
 * check certificates say clearly why they cannot; configured files that do
 * not load stop start-up.
 */
#include "config.h"
#include "crypto.h"
#include "state.h"

int
trust_store_new(const struct config *cfg, struct crypto_trust **out, struct sp_errinfo *ei)
{
	struct crypto_revocation_opts opts;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	if (cfg->trust.nroots == 0) {
		r = SP_OK;
		goto out;
	}
	opts.ocsp = cfg->trust.ocsp;
	opts.ocsp_url = cfg->trust.ocsp_url;
	opts.timeout_ms = cfg->trust.ocsp_timeout_ms;
	opts.require_revocation = cfg->trust.require_revocation;
	r = crypto_trust_new((const char *const *)cfg->trust.roots, cfg->trust.nroots,
			     (const char *const *)cfg->trust.intermediates,
			     cfg->trust.nintermediates, (const char *const *)cfg->trust.crls,
			     cfg->trust.ncrls, &opts, out, ei);
	/*
	 * A certificate's OCSP URL is its issuer's choice, and the issuer of a
	 * signature in an uploaded file is the uploader's: the completion asks
	 * each signature's responder for its /DSS (sec47). Only public addresses,
	 * or those the operator lists; a configured ocsp_url is not restricted.
	 */
	if (r == SP_OK &&
	    (r = crypto_trust_set_url_policy(*out, 1, cfg->trust.allow_hosts, ei)) != SP_OK) {
		crypto_trust_free(*out);
		*out = NULL;
	}
	if (r != SP_OK)
		sp_errinfo_prefix(ei, "trust");
out:
	return r;
}

int
trust_store_need(const struct crypto_trust *t, struct sp_errinfo *ei)
{
	if (t == NULL)
		return sp_err_reason(ei, SP_ERR_CONFIG, "trust_not_configured",
				     "trust.roots is empty: certificates cannot be checked");
	return SP_OK;
}
