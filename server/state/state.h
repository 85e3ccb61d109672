/*
 * state.h: the process state of a serving process of sealpactd, built once
 * at start-up by server_run() from the immutable config and reached by
 * handlers through the request (request_trust(), request_tsa(),
 * request_numbers(), request_*_limiter() in server.h): the certificate trust
 * store, the timestamp provider, the contract-number generator and the
 * per-address rate limiters. Nothing here is built lazily: a configuration
 * these files cannot use stops start-up instead of failing a request.
 */
#ifndef SP_SERVER_STATE_H
#define SP_SERVER_STATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "crypto.h"
#include "sp.h"

struct config;
struct crypto_trust;
struct crypto_tsa;

/* ---- tsa_serials.c: serials of the built-in TSA reserved ahead -------------------------- */

/*
 * Values of the tsa_serial sequence this process reserved
 * (db_tsa_serials_reserve) for a completion in one trip (api/signing_complete.c),
 * which has no claim to take one from: each is handed out once, then
 * forgotten whatever becomes of it (a token not stored leaves a gap, as a
 * claim's unused serial does). PostgreSQL gives each value of the sequence
 * to one statement only and never cycles, so no two tokens, of any process,
 * carry the same serial. Refilled by one statement for many serials when
 * half empty, in the background. And the counts of the completions that
 * took one: stored in one trip, or taken back to the claim's path. Loop
 * thread only.
 */
struct tsa_serials;
struct db_pool;
int tsa_serials_new(struct tsa_serials **out, struct sp_errinfo *ei) SP_WUR;
void tsa_serials_free(struct tsa_serials *s); /* NULL is fine; after the DB pool */
/* A reserved serial in *out (0: none left, or s NULL); asks db for more when low. */
int tsa_serials_take(struct tsa_serials *s, struct db_pool *db, uint64_t *out) SP_WUR;
/* Asks db for more when low (a prepare here: its completion will take one). */
void tsa_serials_want(struct tsa_serials *s, struct db_pool *db);
/* A completion that took one was stored in one trip (1) or took the claim's path (0). */
void tsa_serials_outcome(struct tsa_serials *s, int one_trip);
/* The counts above, and how many serials are reserved now (*left). */
void tsa_serials_stats(const struct tsa_serials *s, unsigned long long *one_trip,
		       unsigned long long *fell_back, size_t *left);

/* ---- seal_maker.c: the platform's seal-making key -------------------------------------- */

struct seal_maker;

/*
 * Load seals.maker_cert and seals.maker_key (both or neither): SP_OK with
 * *out NULL when unset; SP_ERR_CONFIG naming the key when a file does not
 * load or the key does not match. Start-up only.
 */
int seal_maker_new(const struct config *cfg, struct seal_maker **out, struct sp_errinfo *ei) SP_WUR;
void seal_maker_free(struct seal_maker *m); /* NULL is fine */
/*
 * The certificate and key (borrowed, read-only: any thread may sign with
 * them), or SP_ERR_UNAVAILABLE "seal_maker_not_configured" when m is NULL.
 */
int seal_maker_get(const struct seal_maker *m, X509 **cert, EVP_PKEY **key,
		   struct sp_errinfo *ei) SP_WUR;

/* ---- evidence_key.c: the platform's evidence key ---------------------------------------- */

struct evidence_key;

/*
 * Load evidence.cert, evidence.key and evidence.chain: SP_OK with *out NULL
 * when unset; SP_ERR_CONFIG naming the key when a file does not load, the key
 * does not match or the certificate may not sign. Start-up only.
 */
int evidence_key_new(const struct config *cfg, struct evidence_key **out,
		     struct sp_errinfo *ei) SP_WUR;
void evidence_key_free(struct evidence_key *k); /* NULL is fine */
/*
 * The certificate, key and CA chain (borrowed, read-only: any thread may
 * sign with them), or SP_ERR_UNAVAILABLE "evidence_not_configured" when k is
 * NULL.
 */
int evidence_key_get(const struct evidence_key *k, X509 **cert, EVP_PKEY **key,
		     STACK_OF(X509) * *chain, struct sp_errinfo *ei) SP_WUR;

/* ---- trust.c: the certificate trust store ----------------------------------------------- */

/*
 * Build the store of cfg->trust (roots, intermediates, CRLs, OCSP options).
 * Returns SP_OK with *out (free with crypto_trust_free), or SP_OK with *out
 * NULL when trust.roots is empty: certificates then cannot be checked and the
 * routes that need it say trust_not_configured. A configured file that is
 * unreadable or holds the wrong objects fails with SP_ERR_IO /
 * SP_ERR_INVALID / SP_ERR_CONFIG and a message naming it. Reads files:
 * start-up only, no lock held. The store is shared by every worker thread:
 * crypto_cert_check() builds a fresh X509_STORE_CTX per call over the
 * read-only X509_STORE, and locks only its own OCSP cache.
 */
int trust_store_new(const struct config *cfg, struct crypto_trust **out,
		    struct sp_errinfo *ei) SP_WUR;

/*
 * SP_OK when t is a store; else SP_ERR_CONFIG with reason
 * trust_not_configured (trust.roots is empty). Any thread.
 */
int trust_store_need(const struct crypto_trust *t, struct sp_errinfo *ei) SP_WUR;

/* ---- tsa_provider.c: where timestamps come from ------------------------------------------- */

struct tsa_provider;

/*
 * Build the timestamp source of cfg->tsa: the built-in TSA when tsa.cert and
 * tsa.key are set (whatever tsa.mode, since POST /tsa serves it), and the
 * store tokens must chain to (tsa.trust, else trust.roots[0]) when either is
 * set. Unset parts stay absent and the calls that need them fail with
 * reason tsa_not_configured; a set part that does not load fails here:
 * SP_ERR_CONFIG / SP_ERR_IO / SP_ERR_EXPIRED with the file and the reason (no
 * critical timeStamping EKU, key not matching the certificate, bad PEM, ...).
 * Only one of tsa.cert and tsa.key is SP_ERR_CONFIG too. cfg must outlive
 * *out (free with tsa_provider_free). Reads files: start-up only.
 */
int tsa_provider_new(const struct config *cfg, struct tsa_provider **out,
		     struct sp_errinfo *ei) SP_WUR;
void tsa_provider_free(struct tsa_provider *p);

/*
 * The built-in TSA (borrowed; lives as long as p). SP_ERR_CONFIG with reason
 * tsa_not_configured when tsa.cert/tsa.key are unset. The TSA is read-only:
 * any number of worker threads may answer with it at once.
 */
int tsa_provider_builtin(const struct tsa_provider *p, const struct crypto_tsa **out,
			 struct sp_errinfo *ei) SP_WUR;

/*
 * The store timestamp tokens must chain to (borrowed; lives as long as p):
 * tsa.trust, else trust.roots[0]. SP_ERR_CONFIG with reason
 * tsa_not_configured when neither is set. The X509_STORE is only read after
 * start-up (each check makes its own X509_STORE_CTX), so worker threads
 * share it.
 */
int tsa_provider_trust(const struct tsa_provider *p, X509_STORE **out,
		       struct sp_errinfo *ei) SP_WUR;

/*
 * The most bytes a token from p can take, to size the /Contents placeholder
 * at prepare: the built-in TSA's is measured once at start-up from a token it
 * made (its certificates, key and policy fixed), plus room for a longer
 * serial and time; an external TSA's is not known in advance:
 * CRYPTO_TS_TOKEN_MAX_UNKNOWN. Any thread.
 */
size_t tsa_provider_token_max(const struct tsa_provider *p);

/*
 * The /Contents placeholder's size in DER bytes for a signature by cert
 * (alg, chain: the certificates the CMS carries) timestamped by p: the
 * largest CMS they make (the signed attributes' length does not depend on
 * the digest's value, so a zero digest measures it), instead of a fixed
 * 16 KiB of which most would stay zero padding in every stored revision.
 * Any thread.
 */
int tsa_provider_contents_max(const struct tsa_provider *p, X509 *cert, enum crypto_sigalg alg,
			      STACK_OF(X509) * chain, size_t *out, struct sp_errinfo *ei) SP_WUR;

/*
 * A checked RFC 3161 token over sig (PAdES B-T: the hash of the signature
 * value): from the built-in TSA with serial (a value of the tsa_serial
 * sequence) when tsa.mode is builtin, else from tsa.url with libcurl (hard
 * timeout tsa.timeout_ms, optional basic auth). Every response is checked by
 * crypto_ts_response_check against the provider's trust. On SP_OK *token
 * (malloc'd ContentInfo DER) and *gen_time are set. Any failure is an error
 * with reason (tsa_unavailable, tsa_not_configured, ts_*): a signature is
 * never stored without a timestamp. Worker threads only (it may block on the
 * network).
 */
int tsa_provider_timestamp(const struct tsa_provider *p, const uint8_t *sig, size_t siglen,
			   uint64_t serial, uint8_t **token, size_t *tokenlen, time_t *gen_time,
			   struct sp_errinfo *ei) SP_WUR;

/*
 * As tsa_provider_timestamp, for a caller that verifies the token with
 * crypto_pdf_verify before using it (completion's engine check: imprint,
 * TSA certificate and chain, signature): the built-in TSA's token, made in
 * this process, is not parsed back and checked here as well. An external
 * TSA's response is checked as always (its error reasons stay). With sha256
 * (not NULL) the token is over that digest (a document timestamp) instead
 * of over sig. Worker threads only.
 */
int tsa_provider_timestamp_engine(const struct tsa_provider *p, const uint8_t *sig, size_t siglen,
				  const uint8_t *sha256, uint64_t serial, uint8_t **token,
				  size_t *tokenlen, time_t *gen_time, struct sp_errinfo *ei) SP_WUR;

/* As tsa_provider_timestamp, over a computed SHA-256 (a document timestamp's byte ranges). */
int tsa_provider_timestamp_digest(const struct tsa_provider *p, const uint8_t sha256[32],
				  uint64_t serial, uint8_t **token, size_t *tokenlen,
				  time_t *gen_time, struct sp_errinfo *ei) SP_WUR;

/* ---- ltv.c: PAdES B-LT and B-LTA updates ----------------------------------------------- */

/* The result of ltv_extend(). */
struct ltv_result {
	uint8_t *data; /* the whole new file (malloc'd), the input as its prefix */
	size_t len;
	/* 1: data is the input's own buffer, the DSS update written in its room after the
	   input (crypto_ltv_known.room; not malloc'd, not freed by ltv_result_cleanup) */
	int in_room;
	time_t archive_until; /* archive: the new document timestamp's TSA notAfter, else 0 */
	time_t archive_time;  /* archive: its genTime, else 0 */
};
void ltv_result_cleanup(struct ltv_result *r);

/* signing.level as a number: "B-T" 0, "B-LT" 1, "B-LTA" 2 (anything else 0). */
int ltv_level_code(const char *level);

/*
 * Extend a signed PDF data[0..len) (borrowed) for long-term validation: one
 * incremental update with a /DSS holding the revocation evidence (t's OCSP
 * policy and CRLs, crypto_evidence_collect) of every signature and document
 * timestamp that has no /VRI entry yet; with archive, then one more update
 * with a document timestamp (ETSI.RFC3161) from tsa over the whole file,
 * using serial for the built-in TSA. known (may be NULL): what an earlier
 * verification read of a prefix of data (crypto_ltv_add_dss). Failures leave
 * *out empty. May block on OCSP and an external TSA: worker threads only.
 */
int ltv_extend(struct crypto_trust *t, const struct tsa_provider *tsa, const uint8_t *data,
	       size_t len, unsigned flags, uint64_t serial, struct crypto_ltv_known *known,
	       struct ltv_result *out, struct sp_errinfo *ei) SP_WUR;
/*
 * flags of ltv_extend. ARCHIVE: add the document timestamp. CHECKED_AFTER:
 * the caller verifies the result whole with crypto_pdf_verify before it
 * keeps it (completion), so the built-in TSA's token is handed over as made
 * (tsa_provider_timestamp_engine) rather than parsed back and checked here.
 */
#define LTV_ARCHIVE 1u
#define LTV_CHECKED_AFTER 2u
/* ANSWERED: a revocation service that fails fails the update (CRYPTO_LTV_ANSWERED) */
#define LTV_ANSWERED 4u

/* ---- snowflake.c: 19-digit, time-ordered contract numbers ---------------------- */

/*
 * number = 10^18 + (ms since 2024-01-01T00:00:00Z << 22 | node << 12 | seq).
 * The offset makes every number 19 digits; the 41-bit time part keeps the sum
 * below 2^63 - 1 until 2086. Monotonic per generator even if the clock steps
 * back (it keeps the last time) or 4096 numbers are asked in one millisecond
 * (it borrows the next millisecond). Distinct node ids never collide.
 */
#define SNOWFLAKE_EPOCH_MS 1704067200000LL
#define SNOWFLAKE_OFFSET 1000000000000000000LL
#define SNOWFLAKE_MAX_NODE 1023

struct snowflake {
	pthread_mutex_t mu;
	int64_t node;
	int64_t last_ms; /* ms since the epoch of the last number */
	int64_t seq;
};

/* node 0..1023; SP_ERR_INVALID otherwise. Pair with snowflake_cleanup(). */
int snowflake_init(struct snowflake *sf, int node, struct sp_errinfo *ei) SP_WUR;
void snowflake_cleanup(struct snowflake *sf);

/*
 * The node id of serving process `worker` (0..workers-1) of a group whose
 * server.node_id is base: base + worker, so the processes forked by
 * `server.workers: N` each number contracts on a node of their own. Returns
 * SP_OK, or SP_ERR_CONFIG when base + workers - 1 exceeds SNOWFLAKE_MAX_NODE
 * or an argument is out of range. Any thread.
 */
int snowflake_worker_node(int base, int workers, int worker, int *out,
			  struct sp_errinfo *ei) SP_WUR;

/*
 * The next number from the clock now_ms (ms since the Unix epoch; pass
 * snowflake_now_ms()). SP_ERR_LIMIT past 2086 or before 2024. Any thread.
 */
int snowflake_next(struct snowflake *sf, int64_t now_ms, int64_t *out) SP_WUR;
int64_t snowflake_now_ms(void);

/* Parse exactly 19 ASCII digits >= 10^18 into *out; SP_ERR_INVALID otherwise. */
int snowflake_parse(const char *s, int64_t *out) SP_WUR;

/* ---- blob_cache.c: derived bytes kept per process ------------------------------------------ */

/*
 * A bounded table of byte values by a 32-byte key (a SHA-256 digest of what
 * they were derived from), shared by every thread of the process (one
 * mutex; a kept value is immutable: copied out, or lent). max_entries
 * 1..65536; values over max_bytes are not kept. Start-up builds it; free
 * after the last job (and the last value lent returned).
 */
struct blob_cache;
int blob_cache_new(size_t max_entries, size_t max_bytes, struct blob_cache **out,
		   struct sp_errinfo *ei) SP_WUR;
void blob_cache_free(struct blob_cache *c); /* NULL is fine */
/* A copy of key's value (*val the caller's, free()): SP_OK, SP_ERR_NOT_FOUND (also when c
   is NULL) or SP_ERR_NOMEM. Any thread. */
int blob_cache_get(struct blob_cache *c, const uint8_t key[32], uint8_t **val, size_t *len) SP_WUR;
/* Keep a copy of val under key (replacing), evicting the least recently used. Any thread. */
void blob_cache_put(struct blob_cache *c, const uint8_t key[32], const uint8_t *val, size_t len);
/* blob_cache_put() of a malloc'd val the cache takes (kept as it is, or freed). */
void blob_cache_put_take(struct blob_cache *c, const uint8_t key[32], uint8_t *val, size_t len);
/*
 * key's value lent, not copied (a large one: a stored revision's signature
 * reads): *val (*len bytes) stays as it is, even if the entry is replaced
 * or evicted, until blob_cache_return(*ref). Found as blob_cache_get(). Any
 * thread.
 */
struct blob_ref;
int blob_cache_borrow(struct blob_cache *c, const uint8_t key[32], const uint8_t **val, size_t *len,
		      struct blob_ref **ref) SP_WUR;
void blob_cache_return(struct blob_ref *ref); /* NULL is fine */
/* How many gets found their key and how many did not so far, and what is held now
   (/metrics); all 0 for NULL. */
struct blob_cache_stats {
	unsigned long long hits, misses;
	size_t entries, bytes, max_bytes; /* bytes: of the values, counted against max_bytes */
};
void blob_cache_stats(struct blob_cache *c, struct blob_cache_stats *st);
/*
 * The key under which another thing derived from the bytes with SHA-256
 * dig is kept (tag: 4 characters naming it, e.g. "sigs": the signature
 * reads completion leaves for a stored revision, which prepare reads too):
 * a digest of tag and dig, so it too answers only for those very bytes.
 * Any thread.
 */
void blob_cache_key(const char tag[4], const uint8_t dig[32], uint8_t key[32]);

/* ---- doc_cache.c: stored documents kept per process ---------------------------------------- */

/*
 * The newest stored revision of a contract this process saw (created,
 * completed or loaded), with the length and SHA-256 (lowercase hex)
 * PostgreSQL stored for it (revisions.length, revisions.sha256): prepare's
 * load and the claim send those and get only the updates after it
 * (db_doc_held). One entry per contract; at most max_bytes of documents
 * (and their reports) in the table. Past the bound a segmented LRU decides
 * (doc_cache.c): revisions no signer is left to open go first, then
 * entries not asked for since they were put, then the least recently asked
 * for; a new contract's entry never pushes out one asked for. Entries are
 * immutable and shared: any thread reads pub's fields while it holds the
 * reference.
 */
struct doc_cached {
	int64_t number;
	int seq;
	const uint8_t *data; /* the whole document at revision seq */
	size_t len;
	char sha256_hex[65];
	/* SHA-256 fed with data and not finalized (NULL: none kept): completion goes on
	   from it (crypto_digest_ctx_dup) instead of hashing the base again */
	const struct crypto_digest_ctx *sha256_ctx;
	/* the verification report PostgreSQL stored with revision seq
	   (revisions.verification), NUL-terminated, report_len bytes; NULL: not known
	   here. Completion builds on it without the claim sending it again. */
	const char *report;
	size_t report_len;
	/* the index of report its merge made (verify_report_base_open_indexed): the next
	   completion's merge does not scan the report again; NULL: none */
	const void *report_index;
	size_t report_index_len;
};
struct doc_cache;
struct doc_cache_stats {
	unsigned long long hits, misses; /* gets that found the contract, and not */
	size_t bytes, entries;           /* held in the table now */
	size_t max_bytes;                /* the bound bytes stays within */
	/* bytes by part: the documents, the room after them for the next completion's
	   update (doc_cache_room_take), the reports and their indexes, and qpdf's parses
	   kept (counted as PARSE_COST times their documents) */
	size_t document_bytes, room_bytes, report_bytes, report_index_bytes, parse_bytes;
	/* bytes by segment: asked for since put (protected), not yet (probation), and
	   revisions no signer is left to open (done); their sum is bytes */
	size_t protected_bytes, probation_bytes, done_bytes;
	/* entries that went to make room, and puts not kept (no room they may take) */
	unsigned long long evicted, refused;
};
/* max_bytes 0: *out is NULL, the cache is off (every call below takes NULL). */
int doc_cache_new(size_t max_bytes, struct doc_cache **out, struct sp_errinfo *ei) SP_WUR;
void doc_cache_free(struct doc_cache *c); /* NULL is fine; no reference may be held */
/* The entry of contract number, referenced (doc_cache_release it), or NULL. Any thread. */
const struct doc_cached *doc_cache_get(struct doc_cache *c, int64_t number);
void doc_cache_release(struct doc_cache *c, const struct doc_cached *d); /* NULL is fine */
/*
 * Keep data (malloc'd; taken: freed when not kept) as revision seq of
 * contract number, stored with sha256_hex, in place of an older revision
 * of it (a newer one held stays); ctx (taken too; NULL: none) is SHA-256
 * fed with exactly data. Only for bytes PostgreSQL confirmed it stored (the
 * statement that stored or sent them succeeded). Any thread.
 */
void doc_cache_put_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data, size_t len,
			const char *sha256_hex, struct crypto_digest_ctx *ctx);
/*
 * doc_cache_put_take with report (malloc'd, NUL-terminated; taken too; NULL:
 * none known), exactly the text PostgreSQL stored with the revision (the
 * statement that stored it succeeded). Its bytes count against max_bytes.
 */
void doc_cache_put_report_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data,
			       size_t len, const char *sha256_hex, struct crypto_digest_ctx *ctx,
			       char *report);
/* Forget d (a held entry the database no longer matches); d stays valid until released. */
void doc_cache_drop(struct doc_cache *c, const struct doc_cached *d);
void doc_cache_stats(struct doc_cache *c, struct doc_cache_stats *st);
/*
 * qpdf's parse of d's bytes (pdf_parsed, pdf.h), kept with the entry so
 * that the next open of them (prepare's base, the claim's base) does not
 * read their whole xref chain again. Take lends it to one open (NULL: none
 * here, or lent already); put gives it back or keeps one made on the
 * entry's very bytes (a parse of other bytes, or a second one, is freed).
 * An entry made with a parse (doc_cache_put_parsed_take) holds one; one made
 * without keeps the first given to it when that fits in max_bytes beside
 * what is held (nothing is evicted for it). A parse's bytes count in
 * max_bytes as twice the document's. Any thread.
 */
struct pdf_parsed;
struct pdf_parsed *doc_cache_parsed_take(struct doc_cache *c, const struct doc_cached *d);
void doc_cache_parsed_put(struct doc_cache *c, const struct doc_cached *d, struct pdf_parsed *p);
/* doc_cache_put_report_take with the report's index (malloc'd, taken too; NULL: none;
   kept only with report) and qpdf's parse of data (taken too; NULL: none), kept with
   the entry when it reads those very bytes, else freed. opened_again 0: no signer is
   left to open the revision (the contract's last signature): kept, without the parse,
   only in room no other entry needs, and the first to go. */
void doc_cache_put_parsed_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data,
			       size_t len, const char *sha256_hex, struct crypto_digest_ctx *ctx,
			       char *report, void *report_index, size_t report_index_len,
			       struct pdf_parsed *parsed, int opened_again);
/*
 * The room after a held revision: a completion writes the bytes after it
 * (the updates the claim sent, the new signature's) where d's bytes end, in
 * d's own buffer, instead of copying d's bytes ahead of them into a new one
 * (a whole file's copy per completion, and a compare of it to adopt d's
 * parse, at a contract's 20th signing as many bytes as all 20 signatures).
 * Take lends the bytes of d's buffer after d->len to the caller alone, when
 * need of them are there, no completion has them and no later revision's
 * bytes follow d's: it returns the buffer (d->data; writable from d->len to
 * *cap), else NULL. d's own bytes are never written: whoever reads them
 * reads on. The caller keeps its revision on the room
 * (doc_cache_put_room_take with room_of d) or gives it back (return); either
 * while it still holds d. Any thread.
 */
uint8_t *doc_cache_room_take(struct doc_cache *c, const struct doc_cached *d, size_t need,
			     size_t *cap);
void doc_cache_room_return(struct doc_cache *c, const struct doc_cached *d);
/*
 * doc_cache_put_parsed_take of data[0..len) in a buffer of cap bytes whose
 * bytes after len are the room the next completion here may take; the room
 * counts against max_bytes as the document does. room_of (NULL: none):
 * data is that entry's buffer, whose room the caller took and wrote its
 * revision in (cap is then the buffer's): the new entry shares it, and the
 * room is given back when the entry is not kept (data not freed). Without
 * room_of data is malloc'd and taken.
 */
void doc_cache_put_room_take(struct doc_cache *c, int64_t number, int seq, uint8_t *data,
			     size_t len, size_t cap, const struct doc_cached *room_of,
			     const char *sha256_hex, struct crypto_digest_ctx *ctx, char *report,
			     void *report_index, size_t report_index_len, struct pdf_parsed *parsed,
			     int opened_again);
/*
 * The contract of a signing session prepared in this process (id: 36
 * characters, lower case), so that its claim, which names only the session,
 * can send the held revision: noted at prepare, 0 when not known (another
 * process prepared it, or the note was overwritten by a later one). Any thread.
 */
void doc_cache_session_note(struct doc_cache *c, const char *id, int64_t number);
int64_t doc_cache_session_number(struct doc_cache *c, const char *id);

/* ---- prep_memo.c: what a member's prepare may skip its load for --------------------------- */

/*
 * The member session a prepare's load (db_signing_prepare_load_auth) or
 * the one-trip statement (db_signing_session_create_held) found for a
 * token's hash, and the seals (picture and facts, as the load sent them)
 * an organization's prepares named: a prepare that finds both, and holds
 * the contract's latest revision, builds its update first and stores the
 * session with one statement that runs the load's checks and compares
 * what they read (server/api/signing.c). An entry only decides whether to
 * try that: it grants nothing. Entries live ttl_s seconds from their last
 * confirmation; a collision replaces one. Loop thread only (no lock).
 */
struct prep_member {
	int64_t organization_id, user_id, credential_id, certificate_id;
	char credit_code[19];
};
struct prep_memo;
struct prep_memo_stats {
	/* prepares the one statement answered (stored, or refused by the load's checks), and
	   those that tried and loaded after */
	unsigned long long one_trip, fallback;
	/* what is held now (/metrics): member sessions, seals, and the seals' pictures'
	   bytes with their bound */
	size_t members, seals, seal_bytes, seal_max_bytes;
};
/* members and seals: slots, powers of two; max_bytes: of seal pictures held; ttl_s >= 1 */
int prep_memo_new(size_t members, size_t seals, size_t max_bytes, int ttl_s, struct prep_memo **out,
		  struct sp_errinfo *ei) SP_WUR;
void prep_memo_free(struct prep_memo *m); /* NULL is fine */
/* The clock of the entries' lifetimes: monotonic seconds. */
int64_t prep_memo_now(void);
/* hash: 64 hex digits (auth_member_hash). SP_OK with *out, or SP_ERR_NOT_FOUND (also for
   an entry older than ttl_s, or m NULL). */
int prep_memo_member_get(struct prep_memo *m, const char *hash, int64_t now_s,
			 struct prep_member *out) SP_WUR;
void prep_memo_member_put(struct prep_memo *m, const char *hash, int64_t now_s,
			  const struct prep_member *who);
void prep_memo_member_drop(struct prep_memo *m, const char *hash);
/* Copies (malloc'd, the caller's) of seal's picture and facts (NUL-terminated) as held for
   organization org, and the picture's SHA-256: SP_OK, SP_ERR_NOT_FOUND or SP_ERR_NOMEM. */
int prep_memo_seal_get(struct prep_memo *m, int64_t org, int64_t seal, int64_t now_s, uint8_t **png,
		       size_t *png_len, uint8_t sha256[32], char **info) SP_WUR;
/* Keep copies (not kept past max_bytes of pictures); sha256 is png's, as the caller computed it
   (the memo compares pictures by it). */
void prep_memo_seal_put(struct prep_memo *m, int64_t org, int64_t seal, int64_t now_s,
			const uint8_t *png, size_t png_len, const uint8_t sha256[32],
			const char *info);
void prep_memo_seal_drop(struct prep_memo *m, int64_t org, int64_t seal);
/* Count a prepare that tried the one statement: one_trip 1 stored by it, 0 loaded after. */
void prep_memo_count(struct prep_memo *m, int one_trip);
void prep_memo_stats(const struct prep_memo *m, struct prep_memo_stats *st);

/* ---- limiter.c: per-address rate limits ---------------------------------------------------- */

/*
 * Events per client (an IPv4 address, an IPv6 /64: limiter.c) in fixed
 * windows: a client's window starts at its first event and lasts window_ms;
 * once max events are counted in it the client waits for the window's end.
 * A table of `slots` clients per
 * serving process, probed over a few neighbours; when they are all taken the
 * oldest window is forgotten, so memory stays bounded whatever the traffic.
 * In memory on purpose: it protects this process, it is not state worth
 * sharing. Loop thread only (no lock: each serving process has its own).
 */
struct ip_limiter;

/* slots >= 1, window_ms >= 1; max 0 never limits. Free with ip_limiter_free. */
int ip_limiter_new(size_t slots, uint64_t window_ms, int max, struct ip_limiter **out,
		   struct sp_errinfo *ei) SP_WUR;
void ip_limiter_free(struct ip_limiter *l);

/*
 * Milliseconds until ip's client (an IPv4 address, an IPv6 /64) may act
 * again, 0 when it may now. "" is never limited.
 */
uint64_t ip_limiter_wait_ms(struct ip_limiter *l, const char *ip);

/* Count one event of ip in its window. "" is not counted. */
void ip_limiter_count(struct ip_limiter *l, const char *ip);

#endif /* SP_SERVER_STATE_H */
