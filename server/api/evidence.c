/*
 * evidence.c: the evidence report (出证报告, issue 15) of a finished contract:
 *
 *   GET /api/v1/contracts/{number}/evidence -> 200 application/pdf
 *
 * For the organizations that may see the contract (404 otherwise, as for
 * the document download), once it is completed, rejected, cancelled or
 * expired (409 contract_not_final before). One database call
 * (db_contract_evidence) records the request in the contract's audit chain
 * and answers the contract, its parties, revisions, seals, audit trail and
 * latest document; a worker then hashes the document (SHA-256, SM3),
 * verifies it with the engine of POST /api/v1/verify, composes the report
 * (pdf_evidence_report, CJK text in seals.cjk_font), signs it with the
 * platform's evidence key (PAdES, timestamped), adds the DSS and a
 * document timestamp (B-LTA, ltv_extend) and answers it. The signed
 * contract is attached byte for byte, so the report can be checked alone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "auth_int.h"
#include "config.h"
#include "contracts_int.h"
#include "http_int.h"
#include "crypto.h"
#include "pdf.h"
#include "seals_int.h"
#include "state.h"

#define FACTS_MAX 8

struct ejob {
	struct request *r; /* answered by done(); never touched by work() */
	struct crypto_trust *trust;
	const struct tsa_provider *tsa;
	const struct evidence_key *key;
	const struct config *cfg;
	struct db_evidence *ev;
	unsigned char *pdf; /* the signed report (work's result) */
	size_t len;
	char number[24];
};

static void
ejob_free(struct ejob *j)
{
	if (j == NULL)
		return;
	db_evidence_free(j->ev);
	free(j->pdf);
	free(j);
}

/* ---- the report's facts, from the database's JSON and the verifier ---------------------- */

/* What a report holds while it is filled: strings it made, freed at the end. */
struct fill {
	char **keep;
	size_t nkeep, cap;
	unsigned char **pngs;
	size_t npngs;
};

static void
fill_cleanup(struct fill *f)
{
	size_t i;

	for (i = 0; i < f->nkeep; i++)
		free(f->keep[i]);
	for (i = 0; i < f->npngs; i++)
		free(f->pngs[i]);
	free(f->keep);
	free(f->pngs);
	memset(f, 0, sizeof(*f));
}

/* A formatted string that lives as long as f (NULL when out of memory). */
static const char *keepf(struct fill *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *
keepf(struct fill *f, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	if (f->nkeep == f->cap) {
		size_t nc = f->cap ? 2 * f->cap : 64;
		char **nk = realloc(f->keep, nc * sizeof(*nk));
		if (nk == NULL)
			return NULL;
		f->keep = nk;
		f->cap = nc;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	f->keep[f->nkeep++] = s;
	return s;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *
rfc3339(struct fill *f, time_t t)
{
	struct tm tm;
	char s[32];

	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return keepf(f, "%s", s);
}

/*
 * A database time ("2026-12-03T13:14:37.392Z") to the second
 * ("2026-12-03T13:14:37Z"), so it fits a table cell; anything else as it is.
 * The audit trail keeps its milliseconds.
 */
static const char *
secs(struct fill *f, const char *t)
{
	if (t == NULL || strlen(t) != 24 || t[19] != '.' || t[23] != 'Z')
		return t;
	return keepf(f, "%.19sZ", t);
}

/* Audit actions in both languages; others as recorded. */
static const char *
action_label(struct fill *f, const char *a)
{
	static const char *const map[][2] = {
		{ "contract.created", "创建 Created" },
		{ "contract.updated", "修改草稿 Draft edited" },
		{ "contract.sent", "发送 Sent" },
		{ "contract.routed", "流转 Routed to the next signers" },
		{ "contract.completed", "签署完成 Completed" },
		{ "contract.rejected", "拒签 Rejected" },
		{ "contract.cancelled", "撤销 Cancelled" },
		{ "contract.expired", "过期 Expired" },
		{ "contract.archive_timestamped", "归档时间戳 Archive timestamp" },
		{ "contract.evidence_requested", "申请出证 Evidence report requested" },
		{ "party.received", "接收 Received" },
		{ "party.signed", "签署 Signed" },
		{ "party.sent", "发送 Sent on" },
		{ "signing.prepared", "签署准备 Signature prepared" },
		{ "signing.completed", "签名完成 Signature completed" },
		{ "signing.aborted", "签署取消 Signature aborted" },
	};
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < SP_ARRAY_LEN(map); i++)
		if (strcmp(a, map[i][0]) == 0)
			return keepf(f, "%s（%s）", map[i][1], a);
	return a;
}

/* The document's verdict in both languages (-1: no signature). */
static const char *
verdict_label(int v)
{
	switch (v) {
	case CRYPTO_VERDICT_VALID:
		return "有效 Valid";
	case CRYPTO_VERDICT_VALID_ALLOWED_CHANGES:
		return "有效，其后仅有允许的增补 Valid, with allowed later additions";
	case CRYPTO_VERDICT_INVALID:
		return "无效 Invalid";
	case -1:
		return "无签名 No signature";
	default:
		return "无法确定 Indeterminate";
	}
}

static const char *
level_label(const char *level)
{
	if (strcmp(level, "pades_b_lta") == 0)
		return "PAdES B-LTA";
	if (strcmp(level, "pades_b_lt") == 0)
		return "PAdES B-LT";
	if (strcmp(level, "pades_b_t") == 0)
		return "PAdES B-T";
	if (strcmp(level, "pades_b") == 0)
		return "PAdES B-B";
	if (strcmp(level, "not_pades") == 0)
		return "非 PAdES Not PAdES";
	return NULL;
}

static const char *
result_code(enum crypto_verdict v)
{
	return v == CRYPTO_VERDICT_VALID || v == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES ? "valid"
	       : v == CRYPTO_VERDICT_INVALID                                          ? "invalid"
					     : "indeterminate";
}

/*
 * The stored revision a signature belongs to: the first signed one whose
 * bytes reach the end of its byte range (a stored revision may carry the
 * DSS and document timestamp after the signature).
 */
static json_t *
revision_of(json_t *revs, long long end)
{
	json_t *rv;
	size_t i;

	json_array_foreach(revs, i, rv)
	{
		if (json_integer_value(json_object_get(rv, "seq")) == 0 ||
		    json_is_true(json_object_get(rv, "archive")))
			continue;
		if (json_integer_value(json_object_get(rv, "length")) >= end)
			return rv;
	}
	return NULL;
}

static int
seal_png(struct fill *f, json_t *seal, const unsigned char **png, size_t *len)
{
	const char *hex = str(seal, "png_hex");
	unsigned char *buf, **np;
	size_t n;

	*png = NULL;
	*len = 0;
	if (hex == NULL || strlen(hex) % 2 != 0)
		return SP_OK;
	if ((np = realloc(f->pngs, (f->npngs + 1) * sizeof(*np))) == NULL)
		return SP_ERR_NOMEM;
	f->pngs = np;
	if ((buf = malloc(strlen(hex) / 2 + 1)) == NULL)
		return SP_ERR_NOMEM;
	if (sp_hex_decode(hex, strlen(hex), buf, strlen(hex) / 2, &n) != SP_OK) {
		free(buf);
		return SP_OK; /* shown as "no seal picture" */
	}
	f->pngs[f->npngs++] = buf;
	*png = buf;
	*len = n;
	return SP_OK;
}

static int
signature_fill(struct fill *f, json_t *info, const struct crypto_sig_report *s,
	       struct pdf_evidence_signature *o)
{
	/* A document timestamp is the platform's, not a party's: no revision, no seal. */
	json_t *rv = s->doc_timestamp ? NULL
				      : revision_of(json_object_get(info, "revisions"),
						    s->byte_range[2] + s->byte_range[3]);
	json_t *cert = json_object_get(rv, "certificate"), *seal = json_object_get(rv, "seal");
	json_t *signer = json_object_get(rv, "signer");
	const char *type;
	int r;

	memset(o, 0, sizeof(*o));
	if (s->doc_timestamp) {
		o->signer_subject = keepf(f, "文档时间戳 Document timestamp (RFC 3161): %s",
					  s->tsa[0] ? s->tsa : "—");
		o->level = "PAdES B-LTA（归档 archive）";
	} else {
		o->signer_subject = s->has_signer ? s->signer.subject : str(cert, "subject");
		if (signer != NULL)
			o->signer_subject =
				keepf(f, "%s · %s（%s）",
				      o->signer_subject ? o->signer_subject : "—",
				      str(signer, "name") ? str(signer, "name") : "—",
				      str(signer, "credit_code") ? str(signer, "credit_code")
								 : "—");
		o->signer_serial = s->has_signer ? s->signer.serial_hex : str(cert, "serial");
		o->signer_issuer = s->has_signer ? s->signer.issuer : str(cert, "issuer");
		o->level = s->level[0] ? level_label(s->level) : NULL;
		o->signing_time = secs(f, str(rv, "created_at"));
	}
	if (o->signer_subject == NULL)
		return SP_ERR_NOMEM;
	if (seal != NULL) {
		type = str(seal, "type");
		o->seal_name = str(seal, "name");
		o->seal_type = type == NULL                    ? NULL
			       : strcmp(type, "contract") == 0 ? "合同专用章 Contract seal"
			       : strcmp(type, "official") == 0 ? "公章 Official seal"
							       : type;
		o->seal_validity = keepf(f, "%s 至 to %s", secs(f, str(seal, "valid_from")) ?: "—",
					 secs(f, str(seal, "valid_until")) ?: "—");
		if ((r = seal_png(f, seal, &o->seal_png, &o->seal_png_len)) != SP_OK)
			return r;
	}
	if (s->has_timestamp)
		o->timestamp_time = keepf(f, "%s · %s", rfc3339(f, s->ts_time) ?: "—",
					  s->tsa[0] ? s->tsa : "—");
	o->result = result_code(s->verdict);
	o->result_detail = s->message[0] ? s->message
			   : s->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES
				   ? "完整，其后仅有允许的增补 intact; later revisions add only "
				     "what is allowed (signatures, DSS, timestamps)"
				   : "完整，证书链可信 intact, the chain is trusted";
	return SP_OK;
}

static const char *
party_actor(struct fill *f, json_t *ev)
{
	json_t *a = json_object_get(ev, "actor");
	const char *user = str(ev, "user");

	if (a == NULL || json_is_null(a))
		return user ? keepf(f, "平台 Platform · %s", user) : "平台 Platform";
	return keepf(f, "%s（%s）%s%s", str(a, "name") ? str(a, "name") : "—",
		     str(a, "credit_code") ? str(a, "credit_code") : "—", user ? " · " : "",
		     user ? user : "");
}

static int
digests(const uint8_t *doc, size_t len, char sha[65], char sm3[65], struct sp_errinfo *ei)
{
	uint8_t d[CRYPTO_DIGEST_MAX];
	size_t n = 0;
	int r;

	if ((r = crypto_digest(CRYPTO_DIGEST_SHA256, doc, len, d, &n, ei)) != SP_OK)
		return r;
	sp_hex(d, 32, sha);
	if ((r = crypto_digest(CRYPTO_DIGEST_SM3, doc, len, d, &n, ei)) != SP_OK)
		return r;
	sp_hex(d, 32, sm3);
	return SP_OK;
}

/* ---- signing the report ------------------------------------------------------------------ */

/*
 * PAdES with the evidence key, in process: prepare an invisible signature
 * field, sign the CMS signed attributes with the key, timestamp the value
 * (serial for the built-in TSA), assemble and fill; then B-LT and B-LTA
 * (ltv_extend: the DSS with the evidence key's and TSA's revocation data,
 * and a document timestamp with archive_serial). *pdf is replaced.
 */
static int
report_sign(struct ejob *j, unsigned char **pdf, size_t *len, struct sp_errinfo *ei)
{
	struct pdf_doc *doc = NULL;
	struct pdf_sig_params par;
	struct pdf_sig_prepared prep;
	struct ltv_result lr;
	enum crypto_sigalg alg;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	uint8_t *attrs = NULL, *sig = NULL, *tok = NULL, *cms = NULL;
	size_t alen = 0, siglen = 0, toklen = 0, cmslen = 0;
	char reason[96];
	time_t gen = 0;
	int r = SP_ERR_INTERNAL;

	memset(&prep, 0, sizeof(prep));
	memset(&lr, 0, sizeof(lr));
	memset(&par, 0, sizeof(par));
	if ((r = evidence_key_get(j->key, &cert, &key, &chain, ei)) != SP_OK ||
	    (r = crypto_sigalg_for_cert(cert, &alg, ei)) != SP_OK)
		goto out;
	snprintf(reason, sizeof(reason), "出证报告 Evidence report of contract %s", j->number);
	par.signing_time = time(NULL);
	par.field_name = "EvidenceReport";
	par.reason = reason;
	par.location = "sealpact";
	par.digest_sm3 = alg == CRYPTO_SIGALG_SM2_SM3;
	if ((r = tsa_provider_contents_max(j->tsa, cert, alg, chain, &par.contents_max, ei)) !=
		    SP_OK ||
	    (r = pdf_doc_open(*pdf, *len, &doc, ei)) != SP_OK ||
	    (r = pdf_sig_prepare(doc, &par, NULL, 0, NULL, 0, &prep, ei)) != SP_OK ||
	    (r = crypto_cms_signed_attrs(cert, alg, par.digest_sm3 ? prep.sm3 : prep.sha256, 32,
					 &attrs, &alen, ei)) != SP_OK ||
	    (r = crypto_sig_sign(key, alg, attrs, alen, &sig, &siglen, ei)) != SP_OK ||
	    (r = crypto_sig_verify(cert, alg, attrs, alen, sig, siglen, ei)) != SP_OK)
		goto out;
	if ((r = tsa_provider_timestamp(j->tsa, sig, siglen, j->ev->tsa_serial, &tok, &toklen, &gen,
					ei)) != SP_OK)
		goto out;
	if ((r = crypto_cms_assemble(cert, chain, attrs, alen, sig, siglen, tok, toklen, &cms,
				     &cmslen, ei)) != SP_OK ||
	    (r = pdf_sig_fill(prep.data, prep.len, prep.contents_off, prep.contents_len, cms,
			      cmslen, ei)) != SP_OK)
		goto out;
	if ((r = ltv_extend(j->trust, j->tsa, prep.data, prep.len, LTV_ARCHIVE,
			    j->ev->archive_serial, NULL, &lr, ei)) != SP_OK) {
		sp_errinfo_prefix(ei, "long-term validation of the report");
		goto out;
	}
	free(*pdf);
	*pdf = lr.data;
	*len = lr.len;
	lr.data = NULL; /* transferred */
	r = SP_OK;
out:
	ltv_result_cleanup(&lr);
	pdf_sig_prepared_cleanup(&prep);
	pdf_doc_free(doc);
	free(attrs);
	free(sig);
	free(tok);
	free(cms);
	return r;
}

/* ---- the worker ---------------------------------------------------------------------------- */

static int
evidence_work(void *arg, struct sp_errinfo *ei)
{
	struct ejob *j = arg;
	struct db_evidence *ev = j->ev;
	struct crypto_verify_report *rep = NULL;
	struct crypto_verify_opts vo;
	struct pdf_evidence e;
	struct pdf_evidence_party *parties = NULL;
	struct pdf_evidence_signature *sigs = NULL;
	struct pdf_evidence_event *events = NULL;
	struct pdf_evidence_fact facts[FACTS_MAX];
	struct fill f;
	struct sp_errinfo pei;
	json_t *info = NULL, *a, *v, *chain;
	const char *reject = NULL;
	char sha[65], sm3[65];
	size_t i, n;
	int r = SP_ERR_INTERNAL;

	memset(&f, 0, sizeof(f));
	memset(&e, 0, sizeof(e));
	memset(&vo, 0, sizeof(vo));
	if ((info = json_loads(ev->info, 0, NULL)) == NULL || !json_is_object(info)) {
		r = sp_err(ei, SP_ERR_INTERNAL, "the contract's evidence does not decode");
		goto out;
	}
	if ((r = seals_font_check(j->cfg, ei)) != SP_OK ||
	    (r = digests(ev->document, ev->document_len, sha, sm3, ei)) != SP_OK)
		goto out;
	/* The engine of POST /api/v1/verify, with the server's trust and budget. */
	vo.trust = j->trust;
	vo.max_work = (unsigned long long)j->cfg->server.max_verify_work;
	sp_errinfo_init(&pei);
	if (tsa_provider_trust(j->tsa, &vo.ts_trust, &pei) != SP_OK)
		vo.ts_trust = NULL;
	if ((r = crypto_pdf_verify(ev->document, ev->document_len, &vo, &rep, ei)) != SP_OK) {
		sp_errinfo_prefix(ei, "verifying the contract");
		/* a stored document that does not read is ours; one stored before signing
		   kept within the verifier's reading budget (sec37) is beyond it: the 422
		   of its fresh verification */
		if (r != SP_ERR_LIMIT)
			r = SP_ERR_INTERNAL;
		goto out;
	}

	e.contract_number = str(info, "number");
	e.contract_name = str(info, "name");
	e.status = str(info, "status");
	a = json_object_get(info, "initiator");
	e.initiator = str(a, "name");
	e.initiator_credit_code = str(a, "credit_code");
	e.generated_at = str(info, "generated_at");
	e.sha256_hex = sha;
	e.sm3_hex = sm3;
	e.contract_pdf = ev->document;
	e.contract_pdf_len = ev->document_len;
	e.contract_filename = keepf(&f, "contract-%s.pdf", j->number);

	/* Parties */
	a = json_object_get(info, "parties");
	n = json_array_size(a);
	if (n > 0 && (parties = calloc(n, sizeof(*parties))) == NULL)
		goto nomem;
	json_array_foreach(a, i, v)
	{
		const char *rr = str(v, "reject_reason");
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): n items, n > 0 here */
		parties[i].role = str(v, "role");
		parties[i].organization = str(v, "name");
		parties[i].credit_code = str(v, "credit_code");
		parties[i].status = str(v, "status");
		parties[i].time = secs(&f, str(v, "time"));
		/* The reason gets a row of its own: a table cell is too narrow for it. */
		if (rr != NULL && reject == NULL &&
		    (reject = keepf(&f, "%s（%s）：%s", parties[i].organization ?: "—",
				    parties[i].credit_code ?: "—", rr)) == NULL)
			goto nomem;
	}
	e.parties = parties;
	e.nparties = n;

	/* Signatures, in the file's order, each with its revision's certificate and seal */
	if (rep->nsigs > 0 && (sigs = calloc(rep->nsigs, sizeof(*sigs))) == NULL)
		goto nomem;
	for (i = 0; i < rep->nsigs; i++)
		if ((r = signature_fill(&f, info, &rep->sigs[i], &sigs[i])) != SP_OK) {
			r = sp_err(ei, r, "out of memory");
			goto out;
		}
	e.signatures = sigs;
	e.nsignatures = rep->nsigs;

	/* The audit trail */
	a = json_object_get(info, "audit");
	n = json_array_size(a);
	if (n > 0 && (events = calloc(n, sizeof(*events))) == NULL)
		goto nomem;
	json_array_foreach(a, i, v)
	{
		/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): n items, n > 0 here */
		events[i].time = str(v, "at");
		events[i].actor = party_actor(&f, v);
		events[i].action = action_label(&f, str(v, "action"));
		events[i].ip = str(v, "ip");
		events[i].prev_hash = str(v, "prev_hash");
		events[i].hash = str(v, "hash");
	}
	e.events = events;
	e.nevents = n;

	/* Further facts of the contract */
	chain = json_object_get(info, "audit_chain");
	n = 0;
	facts[n++] = (struct pdf_evidence_fact){ "业务类型", "Business type",
						 keepf(&f, "%s（%s）",
						       str(info, "business_type_name") ?: "—",
						       str(info, "business_type") ?: "—") };
	facts[n++] = (struct pdf_evidence_fact){ "创建时间", "Created",
						 secs(&f, str(info, "created_at")) };
	facts[n++] =
		(struct pdf_evidence_fact){ "发送时间", "Sent", secs(&f, str(info, "sent_at")) };
	facts[n++] = (struct pdf_evidence_fact){ "结束时间", "Finished",
						 secs(&f, str(info, "completed_at")) };
	facts[n++] = (struct pdf_evidence_fact){
		"文件版本", "Revision (bytes)",
		keepf(&f, "%lld（%zu 字节 bytes）",
		      (long long)json_integer_value(json_object_get(info, "seq")), ev->document_len)
	};
	facts[n++] = (struct pdf_evidence_fact){
		"验证结论", "Verification of the document",
		keepf(&f, "%s：%s", verdict_label(rep->nsigs ? (int)rep->verdict : -1),
		      rep->nsigs ? (rep->message[0] ? rep->message
						    : "每个签名均完整有效 every signature intact")
				 : "合同未经签名 the document carries no signature")
	};
	facts[n++] = (struct pdf_evidence_fact){
		"审计链校验", "Audit hash chain",
		json_is_true(json_object_get(chain, "valid"))
			? keepf(&f, "完整 intact：%lld 条记录 events",
				(long long)json_integer_value(json_object_get(chain, "events")))
			: keepf(&f, "断裂 BROKEN at event %lld: %s",
				(long long)json_integer_value(
					json_object_get(chain, "first_bad_seq")),
				str(chain, "reason") ?: "—")
	};
	for (i = 0; i < n; i++)
		if (facts[i].value == NULL && i != 1 && i != 2 && i != 3)
			goto nomem;
	if (reject != NULL)
		facts[n++] =
			(struct pdf_evidence_fact){ "拒签理由", "Reason of the rejection", reject };
	e.facts = facts;
	e.nfacts = n;

	sp_errinfo_init(&pei);
	r = pdf_evidence_report(j->cfg->seals.cjk_font, j->cfg->seals.cjk_font_index, &e, &j->pdf,
				&j->len, &pei);
	if ((r = seals_font_err(r, &pei, ei)) != SP_OK) {
		if (r != SP_ERR_UNAVAILABLE)
			r = SP_ERR_INTERNAL; /* what we stored does not make a report: ours */
		goto out;
	}
	r = report_sign(j, &j->pdf, &j->len, ei);
	goto out;
nomem:
	r = sp_err(ei, SP_ERR_NOMEM, "out of memory");
out:
	free(parties);
	free(sigs);
	free(events);
	fill_cleanup(&f);
	crypto_verify_report_free(rep);
	json_decref(info);
	return r;
}

/* ---- the loop side ------------------------------------------------------------------------- */

static void
evidence_done(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct ejob *j = arg;
	struct request *r = j->r;
	char cd[160];

	if (rc != SP_OK) {
		if (strncmp(ei->reason, "ts_", 3) == 0 || strncmp(ei->reason, "tsa_", 4) == 0 ||
		    rc == SP_ERR_TIMEOUT)
			request_problem_upstream(r,
						 rc == SP_ERR_CONFIG ? P_TSA_NOT_CONFIGURED
								     : P_TIMESTAMP_FAILED,
						 ei);
		else if (rc == SP_ERR_LIMIT)
			request_reply_job_error(r, rc, ei, P_PDF_UNREADABLE);
		else if (strcmp(ei->reason, "font_unavailable") == 0 ||
			 strcmp(ei->reason, "evidence_not_configured") == 0)
			request_problem_ei(r, P_UNAVAILABLE, ei);
		else {
			log_event(LOG_ERROR, request_id(r), "evidence report failed", "{s:s}",
				  "detail", ei->msg);
			request_reply_error(r, rc == SP_ERR_NOMEM ? rc : SP_ERR_INTERNAL, NULL);
		}
		ejob_free(j);
		return;
	}
	snprintf(cd, sizeof(cd), "attachment; filename=\"evidence-%s.pdf\"", j->number);
	request_header_add(r, "Content-Disposition", cd);
	request_header_add(r, "Cache-Control", "private, no-store");
	request_reply_data(r, 200, "application/pdf", j->pdf, j->len);
	ejob_free(j);
}

static void
evidence_loaded(void *arg, struct db_evidence *ev, const struct sp_errinfo *err)
{
	struct ejob *j = arg;
	struct request *r = j->r;
	int rc;

	if (err->code != SP_OK) {
		ejob_free(j);
		request_reply_error(r, err->code, err);
		return;
	}
	j->ev = ev;
	if ((rc = request_jobs_submit(r, evidence_work, evidence_done, j)) != SP_OK) {
		ejob_free(j);
		if (rc == SP_ERR_RATE_LIMITED)
			request_reply_error(r, rc, NULL);
		else
			request_problem(r, P_BUSY, "the workers are busy; retry");
	}
}

/*
 * What the server lacks to make reports, said only to an organization that
 * sees the contract: to any other the contract's own 404 comes first, as on
 * every route of it (a server's configuration is nobody else's business).
 */
struct unmade {
	struct request *r;
	struct sp_errinfo ei; /* what is missing: evidence_not_configured, ... */
};

static void
unmade_seen(void *arg, const char *text, size_t len, const struct sp_errinfo *err)
{
	struct unmade *u = arg;

	(void)text;
	(void)len;
	if (err->code != SP_OK)
		request_reply_error(u->r, err->code, err);
	else
		request_problem_ei(u->r, P_UNAVAILABLE, &u->ei);
	free(u);
}

static void
unmade_reply(struct request *r, int64_t number, int64_t org, const struct sp_errinfo *ei)
{
	struct unmade *u;
	int rc;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	u->r = r;
	u->ei = *ei;
	if ((rc = db_contract_get(request_db(r), number, org, unmade_seen, u)) != SP_OK) {
		free(u);
		request_reply_error(r, rc, NULL);
	}
}

static void
evidence_step(struct request *r, const struct principal *who)
{
	struct ejob *j = NULL;
	struct db_actor actor;
	struct sp_errinfo ei;
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) * chain;
	int64_t n;
	int rc;

	if (!wf_path_number(r, &n))
		return; /* answered */
	/* What the report needs besides the database, before the request is recorded. */
	sp_errinfo_init(&ei);
	if (evidence_key_get(request_evidence_key(r), &cert, &key, &chain, &ei) != SP_OK ||
	    seals_font_check(request_config(r), &ei) != SP_OK ||
	    trust_store_need(request_trust(r), &ei) != SP_OK) { /* trust_not_configured */
		unmade_reply(r, n, who->organization_id, &ei);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		request_reply_error(r, SP_ERR_NOMEM, NULL);
		return;
	}
	j->r = r;
	j->trust = request_trust(r);
	j->tsa = request_tsa(r);
	j->key = request_evidence_key(r);
	j->cfg = request_config(r);
	snprintf(j->number, sizeof(j->number), "%lld", (long long)n);
	auth_actor(r, who, &actor);
	rc = db_contract_evidence(request_db(r), n, &actor, j->cfg->evidence.max_reports_per_day,
				  evidence_loaded, j);
	if (rc != SP_OK) {
		ejob_free(j);
		request_reply_error(r, rc, NULL);
	}
}

void
evidence_get(struct request *r)
{
	auth_then(r, PRINCIPAL_ORG, evidence_step);
}
