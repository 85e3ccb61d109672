/*
 * archive.c: the archive-timestamp renewal job (PAdES B-LTA, DESIGN §5). A
 * document timestamp proves the file existed when its TSA certificate was
 * valid; before that certificate expires a new DSS (the revocation evidence
 * of the newest document timestamp, fetched now) and a new document
 * timestamp over everything are appended, and so on. One contract at a
 * time per process: the claim leases the row (FOR UPDATE SKIP LOCKED in
 * archive_renewal_claim), so several processes never renew one contract
 * twice; a renewal that finds a newer revision than it claimed is refused
 * by the store and simply retried at the next round. The claim serves the
 * organizations in turns (041), and a contract the renewal cannot extend
 * (its own bytes refused: beyond the reading budget, not a PDF it reads)
 * keeps its lease and the round goes on: neither one organization's many
 * contracts nor one contract that always fails holds back another's renewal
 * until the next round (archive_interval_s, an hour by default).
 *
 * A renewal is worth a revision only when its document timestamp proves
 * longer than the newest one (045): a TSA signing with the same certificate
 * and algorithms adds bytes and no time. The process remembers what its
 * TSA's last token proves until and claims only contracts it would extend;
 * before it knows (the first renewal, and once a day, since an external TSA
 * may change its certificate) the token decides, and a renewal that gains
 * nothing gives its contract back unchanged. A renewal a service failed (the
 * TSA, an OCSP responder or CRL server, the database) gives its contract back
 * for a retry with its own backoff, and the round goes on after a pause that
 * doubles while failures follow each other: other contracts are not held up
 * for an interval, and a service that is down is asked about once a pause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http_int.h"
#include "jobs_int.h"
#include "pdf.h"
#include "state.h"

#define LEASE_S 600 /* a renewal that has not stored by then may be claimed again */
#define RETRY_S 60  /* a contract a service failed: retried after this, doubled per failure */
#define PAUSE_S 1   /* the first pause of the round after a service failed */
#define TSA_UNTIL_TTL_S 86400 /* the TSA's horizon is learned again after this */

struct run {
	struct archive_renewal *ar;
	struct db_archive_claim *c;
	struct ltv_result lr;
	char sha_hex[65];
	int needless; /* the new document timestamp proves no longer than the newest */
};

static void claim(struct archive_renewal *ar);

/*
 * 1 when a renewal failed because of the contract's bytes, which the next
 * attempt finds the same; not when a service, the database or memory
 * failed, for which the round stops until the next.
 */
static int
contract_failed(int rc)
{
	return rc == SP_ERR_LIMIT || rc == SP_ERR_PDF || rc == SP_ERR_INVALID ||
	       rc == SP_ERR_UNSUPPORTED;
}

static void
run_free(struct run *u)
{
	if (!u)
		return;
	db_archive_claim_free(u->c);
	ltv_result_cleanup(&u->lr);
	free(u);
}

static void
round_failed(struct archive_renewal *ar, const char *what, const char *detail)
{
	if (ar->running && !ar->failing)
		log_event(LOG_WARN, NULL, what, "{s:s}", "detail", detail);
	ar->failing = 1;
}

/* The claim's view of the TSA's horizon: 0 (unknown) once it is a day old. */
static int64_t
tsa_until(const struct archive_renewal *ar)
{
	if (ar->tsa_until <= 0 || time(NULL) - ar->tsa_until_at > TSA_UNTIL_TTL_S)
		return 0;
	return (int64_t)ar->tsa_until;
}

static void
paused(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	claim(arg);
}

/*
 * After a service failed: the next claim in pause_s (1 s, doubled per failure
 * in a row, at most the interval), not at once nor only at the next round.
 */
static void
pause_round(struct archive_renewal *ar)
{
	struct timeval tv;

	ar->pause_s = ar->pause_s <= 0 ? PAUSE_S : ar->pause_s * 2;
	if (ar->pause_s > ar->interval_s)
		ar->pause_s = ar->interval_s;
	tv.tv_sec = ar->pause_s;
	tv.tv_usec = 0;
	if (ar->running && ar->pause != NULL)
		(void)event_add(ar->pause, &tv);
}

static void
released(void *arg, const struct sp_errinfo *err)
{
	struct run *u = arg;
	struct archive_renewal *ar = u->ar;
	int gained_nothing = u->needless;

	ar->busy = 0;
	if (err->code != SP_OK)
		round_failed(ar, "archive renewal not released", err->msg);
	run_free(u);
	if (!ar->running)
		return;
	/* nothing to gain: more may be due at once; a service failed: after a pause */
	if (gained_nothing && err->code == SP_OK)
		claim(ar);
	else
		pause_round(ar);
}

/* Give u's contract back: failed (a service), or with nothing to gain. */
static void
release(struct run *u, int failed)
{
	struct archive_renewal *ar = u->ar;
	int rc;

	if ((rc = db_archive_release(ar->db, u->c->contract_number, failed, RETRY_S, released,
				     u)) != SP_OK) {
		/* the lease runs out instead */
		ar->busy = 0;
		round_failed(ar, "archive renewal not released", sp_strerror(rc));
		run_free(u);
		pause_round(ar);
	}
}

static void
stored(void *arg, json_t *doc, const struct sp_errinfo *err)
{
	struct run *u = arg;
	struct archive_renewal *ar = u->ar;

	(void)doc;
	ar->busy = 0;
	if (err->code != SP_OK) {
		round_failed(ar, "archive renewal not stored", err->msg);
	} else {
		ar->failing = 0;
		ar->pause_s = 0;
		ar->renewed++;
		log_event(LOG_INFO, NULL, "archive timestamp renewed", "{s:I,s:i}", "contract",
			  (json_int_t)u->c->contract_number, "seq", u->c->base_seq + 1);
	}
	run_free(u);
	/* more may be due: go on at once while it works */
	if (err->code == SP_OK && ar->running)
		claim(ar);
}

static int
work(void *arg, struct sp_errinfo *ei)
{
	struct run *u = arg;
	uint8_t dig[CRYPTO_DIGEST_MAX];
	size_t dlen = 0;
	int r;

	/* a renewal appends a DSS and a document timestamp: not one that would leave the
	   contract beyond the verifier's reading budget (sec37), which prepare keeps it in */
	if ((r = pdf_revisions_room_check(u->c->document, u->c->document_len, NULL, 0, 2, ei)) !=
		    SP_OK ||
	    (r = ltv_extend(u->ar->trust, u->ar->tsa, u->c->document, u->c->document_len,
			    LTV_ARCHIVE | LTV_ANSWERED, u->c->tsa_serial, NULL, &u->lr, ei)) !=
		    SP_OK)
		return r;
	/* claimed before the TSA's horizon was known: the token tells */
	if (u->c->archive_until > 0 && (int64_t)u->lr.archive_until <= u->c->archive_until) {
		u->needless = 1;
		return SP_OK;
	}
	if ((r = crypto_digest(CRYPTO_DIGEST_SHA256, u->lr.data, u->lr.len, dig, &dlen, ei)) !=
	    SP_OK)
		return r;
	sp_hex(dig, 32, u->sha_hex);
	return SP_OK;
}

static void
worked(void *arg, int rc, const struct sp_errinfo *ei)
{
	struct run *u = arg;
	struct archive_renewal *ar = u->ar;
	struct db_archive_revision rev;

	if (rc == SP_OK && u->lr.archive_until > 0) {
		ar->tsa_until = u->lr.archive_until;
		ar->tsa_until_at = time(NULL);
	}
	if (rc != SP_OK && ar->running && !contract_failed(rc)) {
		round_failed(ar, "archive renewal failed", ei->msg);
		release(u, 1);
		return;
	}
	if (rc != SP_OK || !ar->running) {
		ar->busy = 0;
		if (rc != SP_OK)
			round_failed(ar, "archive renewal failed", ei->msg);
		run_free(u);
		/* leased for LEASE_S: the next claim takes another contract */
		if (rc != SP_OK)
			claim(ar);
		return;
	}
	if (u->needless) {
		ar->pause_s = 0;
		release(u, 0);
		return;
	}
	memset(&rev, 0, sizeof(rev));
	rev.contract_number = u->c->contract_number;
	rev.seq = u->c->base_seq + 1;
	rev.delta = u->lr.data + u->c->document_len;
	rev.delta_len = u->lr.len - u->c->document_len;
	rev.length = u->lr.len;
	rev.sha256_hex = u->sha_hex;
	rev.archive_until = u->lr.archive_until;
	rev.tsa_time = u->lr.archive_time;
	if ((rc = db_archive_store(ar->db, &rev, stored, u)) != SP_OK) {
		ar->busy = 0;
		round_failed(ar, "archive renewal not stored", sp_strerror(rc));
		run_free(u);
	}
}

static void
claimed(void *arg, struct db_archive_claim *c, const struct sp_errinfo *err)
{
	struct archive_renewal *ar = arg;
	struct run *u;
	int rc;

	if (err->code != SP_OK || c == NULL || !ar->running) {
		ar->busy = 0;
		if (err->code != SP_OK)
			round_failed(ar, "archive renewal claim failed", err->msg);
		else
			ar->failing = 0;
		/* this process's work is done until the next round (at debug: what tests wait on) */
		if (err->code == SP_OK && c == NULL)
			log_event(LOG_DEBUG, NULL, "archive round: nothing due", NULL);
		db_archive_claim_free(c);
		return;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		ar->busy = 0;
		db_archive_claim_free(c);
		return;
	}
	u->ar = ar;
	u->c = c;
	if ((rc = jobs_submit(ar->jobs, work, worked, u)) != SP_OK) {
		ar->busy = 0;
		round_failed(ar, "archive renewal not queued", sp_strerror(rc));
		run_free(u);
	}
}

static void
claim(struct archive_renewal *ar)
{
	if (!ar->running || ar->busy)
		return;
	if (db_archive_claim(ar->db, ar->horizon_s, LEASE_S, tsa_until(ar), claimed, ar) == SP_OK)
		ar->busy = 1;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct archive_renewal *ar = arg;

	(void)fd;
	(void)what;
	/* each round's start (at debug): what a test of the pauses counts */
	log_event(LOG_DEBUG, NULL, "archive round", NULL);
	/* a pause after a failed service runs its course: the round is not hurried */
	if (ar->pause == NULL || !evtimer_pending(ar->pause, NULL))
		claim(ar);
}

int
archive_renewal_start(struct archive_renewal *ar, struct event_base *base, struct db_pool *db,
		      struct jobs *jobs, const struct config *cfg, struct crypto_trust *trust,
		      const struct tsa_provider *tsa, struct sp_errinfo *ei)
{
	struct timeval tv;
	struct sp_errinfo te;
	X509_STORE *ts;

	memset(ar, 0, sizeof(*ar));
	sp_errinfo_init(&te);
	if (ltv_level_code(cfg->signing.level) < 2 || cfg->signing.archive_interval_s <= 0 ||
	    trust == NULL || tsa == NULL || tsa_provider_trust(tsa, &ts, &te) != SP_OK)
		return SP_OK; /* nothing to renew with, or not asked to */
	ar->db = db;
	ar->jobs = jobs;
	ar->trust = trust;
	ar->tsa = tsa;
	ar->horizon_s = (long long)cfg->signing.archive_horizon_days * 86400;
	ar->interval_s = cfg->signing.archive_interval_s;
	tv.tv_sec = cfg->signing.archive_interval_s;
	tv.tv_usec = 0;
	if ((ar->timer = event_new(base, -1, EV_PERSIST, tick, ar)) == NULL ||
	    (ar->pause = evtimer_new(base, paused, ar)) == NULL || event_add(ar->timer, &tv) != 0)
		return sp_err(ei, SP_ERR_INTERNAL, "cannot schedule the archive renewal");
	ar->running = 1;
	return SP_OK;
}

void
archive_renewal_stop(struct archive_renewal *ar)
{
	ar->running = 0;
	if (ar->timer != NULL)
		event_free(ar->timer);
	if (ar->pause != NULL)
		event_free(ar->pause);
	ar->timer = NULL;
	ar->pause = NULL;
}
