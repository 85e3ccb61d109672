/*
 * report_chain.h: engine reports as a contract's k-th completion gets them
 * (the new signature verified whole, the k - 1 before it prior, judged by
 * the new revision's changes), made up for tests/unit/test_verify_report.c,
 * tests/fuzz/fuzz_report_merge.c and bench/bench_report_merge.c, which
 * build a stored report k = 1..20 by merging (verify_report.h) and compare
 * the splice with jansson's merge. Header only: static functions.
 *
 * variant bits: 1 awkward text (quotes, control characters, non-ASCII,
 * bytes that are not UTF-8), 2 long-term levels (B-LT, B-LTA evidence), 4
 * allowed changes and changes checks not reached or failed, 8 many changes
 * (the list's cap of CRYPTO_VERIFY_CHANGES_MAX is reached early), 16 the
 * signature before the new one verified again (prior 0: a new DSS), 32 no
 * signer, timestamp or times.
 */
#ifndef SP_TEST_REPORT_CHAIN_H
#define SP_TEST_REPORT_CHAIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* Signature i (1-based) of the report at completion k. 0, or -1 when out of memory. */
static int
chain_sig(struct crypto_sig_report *s, size_t i, size_t k, unsigned variant)
{
	size_t j, n;
	int odd = (variant & 1) != 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->field, sizeof(s->field),
		 odd && i % 3 == 1 ? "Sig\"\\\n\x01\t\xc3\xa9\xff%zu" : "Signature%zu", i);
	s->sig_obj = (int)(100 + i);
	snprintf(s->subfilter, sizeof(s->subfilter), "/ETSI.CAdES.detached");
	snprintf(s->level, sizeof(s->level), "%s",
		 (variant & 2) && i % 2     ? "pades_b_lt"
		 : (variant & 32) && i == 2 ? ""
					    : "pades_b_t");
	s->rev_dss = (variant & 2) && i % 2;
	s->verdict = (variant & 4) && i % 4 == 2 ? CRYPTO_VERDICT_VALID_ALLOWED_CHANGES
						 : CRYPTO_VERDICT_VALID;
	if (odd && i % 5 == 0)
		snprintf(s->message, sizeof(s->message),
			 "a \x7f message \xe4\xb8\xad\xe6\x96\x87 /");
	s->byte_range[1] = (long long)i * 1000;
	s->byte_range[2] = (long long)i * 1000 + 100;
	s->byte_range[3] = (long long)i * 50;
	s->revision = i;
	s->structure_ok = s->digest_ok = s->signature_ok = s->chain_ok = s->timestamp_ok = 1;
	s->changes_ok = i == k ? -1 : (variant & 4) ? (int)(k % 3) - 1 : 1;
	snprintf(s->digest_alg, sizeof(s->digest_alg), "SHA256");
	snprintf(s->sig_alg, sizeof(s->sig_alg), "sha256WithRSAEncryption");
	s->has_signer = !((variant & 32) && i % 2);
	snprintf(s->signer.subject, sizeof(s->signer.subject),
		 odd ? "CN=\xe7\xad\xbe\\, \"Org\" %zu,O=\x01" : "CN=Org %zu,O=Org", i);
	snprintf(s->signer.issuer, sizeof(s->signer.issuer), "CN=Dev CA,O=sealpact");
	snprintf(s->signer.serial_hex, sizeof(s->signer.serial_hex), "%zX", 4096 + i);
	memset(s->signer.sha256_hex, 'a' + (int)(i % 6), 64);
	s->signer.not_before = (variant & 32) ? 0 : 1700000000;
	s->signer.not_after = 1800000000;
	s->has_timestamp = !((variant & 32) && i % 3 == 0);
	s->ts_time = (time_t)(1760000000 + 60 * i);
	snprintf(s->tsa, sizeof(s->tsa), odd ? "CN=TSA \xe6\x97\xb6,O=\"x\"" : "CN=sealpact TSA");
	s->checked_at = (variant & 32) && i == 1 ? 0 : (time_t)(1760000000 + 60 * k);
	s->prior = i < k;
	if ((variant & 16) && k > 2 && i == k - 1)
		s->prior = 0; /* verified again: the new DSS brought its revocation evidence */
	s->ltv_dss = (variant & 2) && (i + k) % 2;
	s->ltv_archived = (variant & 2) && (i + k) % 3 == 0;
	if (i == k)
		return 0; /* nothing after the new signature */
	/* the new revision's changes, as each earlier signature is judged by them */
	n = (variant & 8) ? 30 : 5;
	if ((s->changes = calloc(n, sizeof(*s->changes))) == NULL)
		return -1;
	for (j = 0; j < n; j++) {
		s->changes[j].revision = k;
		s->changes[j].obj = (int)(1000 + 10 * k + j);
		s->changes[j].gen = (int)(j % 2);
		s->changes[j].allowed = 1;
		snprintf(s->changes[j].what, sizeof(s->changes[j].what), "%s",
			 odd && j == 1 ? "widget \"\xe7\xab\xa0\" \\ \x02\xfe"
			 : j == 0      ? "signature field"
				       : "annotation");
	}
	s->nchanges = n;
	s->nallowed = n;
	return 0;
}

static void
chain_rep_free(struct crypto_verify_report *rep)
{
	size_t i;

	for (i = 0; i < rep->nsigs; i++)
		free(rep->sigs[i].changes);
	free(rep->sigs);
	memset(rep, 0, sizeof(*rep));
}

/* The engine's report at completion k (k signatures). 0, or -1 when out of memory. */
static int
chain_rep(struct crypto_verify_report *rep, size_t k, unsigned variant)
{
	size_t i;

	memset(rep, 0, sizeof(*rep));
	if ((rep->sigs = calloc(k, sizeof(*rep->sigs))) == NULL)
		return -1;
	for (i = 1; i <= k; i++) {
		rep->nsigs = i;
		if (chain_sig(&rep->sigs[i - 1], i, k, variant) != 0) {
			chain_rep_free(rep);
			return -1;
		}
	}
	rep->size = 1000 * k + 100 + 50 * k;
	rep->nrevisions = k + 1;
	rep->nlisted = k;
	rep->last_revision_signed = 1;
	rep->verdict = k > 1 ? CRYPTO_VERDICT_VALID_ALLOWED_CHANGES : CRYPTO_VERDICT_VALID;
	return 0;
}

#endif /* SP_TEST_REPORT_CHAIN_H */
