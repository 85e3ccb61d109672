/*
 * tsa_provider.c: where this process's RFC 3161 timestamps come from. The
 * built-in TSA and the TSA trust store are built once at start-up from the
 * immutable config; a server without a TSA still serves everything but
 * signing and says why, while a TSA configured with files that do not load
 * stops start-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "state.h"

struct tsa_provider {
	const struct config *cfg;   /* immutable; outlives the provider */
	struct crypto_tsa *builtin; /* NULL: tsa.cert/tsa.key unset */
	X509_STORE *trust;          /* NULL: neither tsa.trust nor trust.roots set */
	size_t builtin_token_max;   /* measured at start-up; 0 without a built-in TSA */
};

/*
 * Measure the built-in TSA's token: one response over a signature-sized
 * value with the largest serial. The token is the response less its status,
 * so the response's length bounds it; 64 bytes more cover a longer time
 * (fractions of a second) and any other variation of the encoding. When it
 * cannot answer now (say its certificate expired), signing will fail with
 * that reason; until then the external bound stands in.
 */
static void
builtin_measure(struct tsa_provider *p)
{
	uint8_t sig[512], *query = NULL, *resp = NULL;
	size_t qlen = 0, rlen = 0;
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	memset(sig, 0xa5, sizeof(sig));
	if (crypto_ts_query_new(sig, sizeof(sig), NULL, &query, &qlen, &ei) == SP_OK &&
	    crypto_tsa_respond(p->builtin, query, qlen, (uint64_t)INT64_MAX, 0, &resp, &rlen,
			       &ei) == SP_OK)
		p->builtin_token_max = rlen + 64;
	free(query);
	free(resp);
}

size_t
tsa_provider_token_max(const struct tsa_provider *p)
{
	if (strcmp(p->cfg->tsa.mode, "external") == 0 || p->builtin_token_max == 0)
		return CRYPTO_TS_TOKEN_MAX_UNKNOWN;
	return p->builtin_token_max;
}

int
tsa_provider_contents_max(const struct tsa_provider *p, X509 *cert, enum crypto_sigalg alg,
			  STACK_OF(X509) * chain, size_t *out, struct sp_errinfo *ei)
{
	return crypto_cms_contents_max(cert, alg, chain, tsa_provider_token_max(p), out, ei);
}

int
tsa_provider_new(const struct config *cfg, struct tsa_provider **out, struct sp_errinfo *ei)
{
	struct tsa_provider *p = NULL;
	const char *trust = cfg->tsa.trust;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
		goto out;
	}
	p->cfg = cfg;
	if ((cfg->tsa.cert == NULL) != (cfg->tsa.key == NULL)) {
		r = sp_err(ei, SP_ERR_CONFIG, "tsa: %s is set without %s",
			   cfg->tsa.cert != NULL ? "tsa.cert" : "tsa.key",
			   cfg->tsa.cert != NULL ? "tsa.key" : "tsa.cert");
		goto out;
	}
	if (cfg->tsa.cert != NULL &&
	    (r = crypto_tsa_new(cfg->tsa.cert, cfg->tsa.key, cfg->tsa.chain, cfg->tsa.policy,
				(unsigned)cfg->tsa.accuracy_ms, &p->builtin, ei)) != SP_OK) {
		sp_errinfo_prefix(ei, "tsa");
		goto out;
	}
	if (p->builtin != NULL)
		builtin_measure(p);
	if (trust == NULL && cfg->trust.nroots > 0)
		trust = cfg->trust.roots[0];
	if (trust != NULL && (r = crypto_ts_trust_load(trust, &p->trust, ei)) != SP_OK) {
		sp_errinfo_prefix(ei, cfg->tsa.trust != NULL ? "tsa.trust" : "tsa (trust.roots)");
		goto out;
	}
	*out = p;
	p = NULL; /* transferred */
	r = SP_OK;
out:
	tsa_provider_free(p);
	return r;
}

void
tsa_provider_free(struct tsa_provider *p)
{
	if (p == NULL)
		return;
	crypto_tsa_free(p->builtin);
	X509_STORE_free(p->trust);
	free(p);
}

int
tsa_provider_builtin(const struct tsa_provider *p, const struct crypto_tsa **out,
		     struct sp_errinfo *ei)
{
	*out = p->builtin;
	if (p->builtin == NULL)
		return sp_err_reason(ei, SP_ERR_CONFIG, "tsa_not_configured",
				     "the built-in TSA needs tsa.cert and tsa.key");
	return SP_OK;
}

int
tsa_provider_trust(const struct tsa_provider *p, X509_STORE **out, struct sp_errinfo *ei)
{
	*out = p->trust;
	if (p->trust == NULL)
		return sp_err_reason(ei, SP_ERR_CONFIG, "tsa_not_configured",
				     "no TSA trust: set tsa.trust (or trust.roots)");
	return SP_OK;
}

/* A query over sig, or with sha256 (not NULL) over that digest (a document timestamp). */
static int
query_new(const uint8_t *sig, size_t siglen, const uint8_t *sha256, uint8_t **query, size_t *qlen,
	  struct sp_errinfo *ei)
{
	return sha256 ? crypto_ts_query_new_digest(sha256, NULL, query, qlen, ei)
		      : crypto_ts_query_new(sig, siglen, NULL, query, qlen, ei);
}

static int timestamp_query(const struct tsa_provider *p, const uint8_t *sig, size_t siglen,
			   const uint8_t *sha256, uint64_t serial, uint8_t **token,
			   size_t *tokenlen, time_t *gen_time, struct sp_errinfo *ei);

int
tsa_provider_timestamp(const struct tsa_provider *p, const uint8_t *sig, size_t siglen,
		       uint64_t serial, uint8_t **token, size_t *tokenlen, time_t *gen_time,
		       struct sp_errinfo *ei)
{
	return timestamp_query(p, sig, siglen, NULL, serial, token, tokenlen, gen_time, ei);
}

int
tsa_provider_timestamp_engine(const struct tsa_provider *p, const uint8_t *sig, size_t siglen,
			      const uint8_t *sha256, uint64_t serial, uint8_t **token,
			      size_t *tokenlen, time_t *gen_time, struct sp_errinfo *ei)
{
	const struct crypto_tsa *tsa;
	X509_STORE *trust;
	uint8_t *query = NULL;
	size_t qlen = 0;
	int r;

	if (strcmp(p->cfg->tsa.mode, "external") == 0)
		return timestamp_query(p, sig, siglen, sha256, serial, token, tokenlen, gen_time,
				       ei);
	*token = NULL;
	*tokenlen = 0;
	*gen_time = 0;
	/* the trust the engine checks the token with must be there, as for any token */
	if ((r = tsa_provider_trust(p, &trust, ei)) != SP_OK ||
	    (r = tsa_provider_builtin(p, &tsa, ei)) != SP_OK ||
	    (r = query_new(sig, siglen, sha256, &query, &qlen, ei)) != SP_OK)
		goto out;
	r = crypto_tsa_token(tsa, query, qlen, serial, 0, token, tokenlen, gen_time, ei);
out:
	free(query);
	return r;
}

int
tsa_provider_timestamp_digest(const struct tsa_provider *p, const uint8_t sha256[32],
			      uint64_t serial, uint8_t **token, size_t *tokenlen, time_t *gen_time,
			      struct sp_errinfo *ei)
{
	return timestamp_query(p, NULL, 0, sha256, serial, token, tokenlen, gen_time, ei);
}

static int
timestamp_query(const struct tsa_provider *p, const uint8_t *sig, size_t siglen,
		const uint8_t *sha256, uint64_t serial, uint8_t **token, size_t *tokenlen,
		time_t *gen_time, struct sp_errinfo *ei)
{
	const struct config *cfg = p->cfg;
	const struct crypto_tsa *tsa;
	X509_STORE *trust;
	uint8_t *query = NULL, *resp = NULL;
	size_t qlen = 0, rlen = 0;
	int r = SP_ERR_INTERNAL;

	*token = NULL;
	*tokenlen = 0;
	*gen_time = 0;
	if ((r = tsa_provider_trust(p, &trust, ei)) != SP_OK)
		goto out;
	if ((r = query_new(sig, siglen, sha256, &query, &qlen, ei)) != SP_OK)
		goto out;
	if (strcmp(cfg->tsa.mode, "external") == 0) {
		r = crypto_ts_fetch(cfg->tsa.url, query, qlen, cfg->tsa.timeout_ms,
				    cfg->tsa.username, cfg->tsa.password, NULL, &resp, &rlen, ei);
		if (r != SP_OK) {
			sp_errinfo_prefix(ei, "external TSA");
			if (ei->reason[0] == '\0')
				snprintf(ei->reason, sizeof(ei->reason), "tsa_unavailable");
			goto out;
		}
	} else {
		if ((r = tsa_provider_builtin(p, &tsa, ei)) != SP_OK)
			goto out;
		if ((r = crypto_tsa_respond(tsa, query, qlen, serial, 0, &resp, &rlen, ei)) !=
		    SP_OK)
			goto out;
	}
	if ((r = crypto_ts_response_check(resp, rlen, query, qlen, trust, token, tokenlen, gen_time,
					  ei)) != SP_OK)
		goto out;
	r = SP_OK;
out:
	free(query);
	free(resp);
	return r;
}
