/*
 * bench_load.c: a lean signing load generator (issue 14). It drives prepare
 * -> token signature -> complete against a running sealpactd from plain
 * threads, one keep-alive HTTPS connection each, and signs to_be_signed in
 * process with the client's key (OpenSSL, standing for the token), so that
 * the load generator takes little of the cores it shares with the server.
 *
 * The HTTP/1.1 client is its own (load_http.c), on blocking sockets and OpenSSL:
 * per request one write and usually one read, where libcurl's easy interface
 * made about fifteen system calls (a poll() before and after each step, the
 * SIGPIPE handler set and restored around each, a recv() that found nothing).
 * It still does what a client must: the server's certificate is verified
 * against cacert and the address connected to, every status is checked,
 * every answer is parsed as JSON, and a connection the server closes (or
 * asks to close) is opened again. The request bodies that are the same for
 * every contract (the prepare's certificate and placements) are built once,
 * and each thread sets up its key's signing context once.
 *
 *   bench_load JOBFILE
 *
 * JOBFILE (written by bench/bench_load.py, which sets up the server, the
 * contracts and the session) has one "key value" a line:
 *   url URL          the server's base URL
 *   cacert PATH      the CA of its TLS certificate (https; absent: the system's CAs)
 *   token T          the signer's bearer token
 *   cert B64         the signing certificate, DER in base64
 *   key PATH         its private key (PEM)
 *   pid PID          the server's process: its CPU time (and its children's)
 *                    over the run, from /proc, is divided by completed signings
 *   pgpid PID        PostgreSQL's postmaster (optional): the same for its
 *                    backends, printed apart
 *   threads N        concurrent clients
 *   placements JSON  the placements of every prepare
 *   contract NUMBER  one per contract to sign (received by the signer)
 *   prefer return=minimal  (optional) every complete sends Prefer: return=minimal
 *                    (RFC 7240): its answer is the completion's own members, without
 *                    the contract document
 *
 * It prints completed signings per second over the wall time, p50 / p99 of
 * prepare and of complete (the client signing excluded), the server's CPU
 * per completed signing and the generator's own.
 *
 * With "mode chain" it measures a contract's k-th signing instead: every
 * contract is signed by every "signer TOKEN CERT_B64 KEYPATH" in the order
 * given (receive, prepare, sign, complete, send), from one client, and it
 * prints each k's median prepare and complete over the contracts, the 1st
 * against the last. One keep-alive client, so that what grows is the
 * server's (a Python client's own ~20 ms per request hid it).
 */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "load_http.h"
#include "util.h"
#include "sp.h"

#define MAX_CONTRACTS 100000
#define MAX_THREADS 256
#define MAX_SIGNERS 64

struct signer {
	char *token, *cert_b64;
	EVP_PKEY *key;
	char *prepare_body; /* the same for every contract: built once */
	EVP_PKEY_CTX *ctx;  /* chain mode (one thread): its signing context */
};

static struct {
	char url[512], cacert[512], token[512], key[512];
	char *cert_b64, *placements;
	long pid, pgpid;
	int threads;
	char (*contracts)[24];
	int ncontracts, chain;
	int minimal; /* complete with Prefer: return=minimal */
	struct signer signers[MAX_SIGNERS];
	int nsigners;
} job;

static atomic_int next_contract, failures;
/*
 * Chain mode with a pid: the server's and PostgreSQL's CPU (ns, schedstat) taken
 * around each request of the one client, so that a k-th prepare and complete
 * have their own CPU cost, whatever else runs on the machine. [0] server, [1] PG.
 */
static long long cpu_ns(int which);
static double cpu_prep[2], cpu_done[2]; /* of the last sign_once, ms */
/*
 * Chain mode: where the wall time of the last sign_once's complete went, ms
 * (DONE_BYTES: its body's size): the client building and writing the
 * request, waiting for the answer's first bytes, reading the rest, parsing
 * its JSON; the CPU of the server's event loop (its main thread) and of the
 * rest of its threads (the workers) over the request.
 */
enum { DONE_SEND, DONE_WAIT, DONE_RECV, DONE_PARSE, DONE_LOOP, DONE_WORKERS, DONE_BYTES, DONE_N };
static double done_phase[DONE_N];
static double *prep_ms, *done_ms; /* indexed by contract */

/*
 * The token's part: sign to_be_signed (RSA PKCS#1 v1.5 or ECDSA over SHA-256)
 * with ctx, the key's signing context set up once (EVP_PKEY_sign over the
 * SHA-256 digest: the same signature as EVP_DigestSign, without fetching
 * the digest and the signature method again at every signing).
 */
static char *
token_sign(EVP_PKEY_CTX *ctx, const char *tbs_b64)
{
	unsigned char *tbs = NULL, sig[1024], dg[SHA256_DIGEST_LENGTH];
	size_t tbslen = 0, siglen = sizeof(sig);
	char *out = NULL;

	if (tbs_b64 != NULL &&
	    sp_b64_decode(tbs_b64, strlen(tbs_b64), 65536, 0, &tbs, &tbslen) == SP_OK &&
	    SHA256(tbs, tbslen, dg) != NULL &&
	    EVP_PKEY_sign(ctx, sig, &siglen, dg, sizeof(dg)) == 1)
		out = sp_b64_encode(sig, siglen, 0);
	free(tbs);
	return out;
}

static EVP_PKEY_CTX *
sign_ctx(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

	if (ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
	    (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA ||
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1)
		return ctx;
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

/* The prepare's body: the certificate and the placements, as the client sends them. */
static char *
prepare_body(const char *cert_b64)
{
	json_t *req = json_pack("{s:s,s:o}", "certificate", cert_b64, "placements",
				json_loads(job.placements, 0, NULL));
	char *body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;

	json_decref(req);
	return body;
}

/* prepare -> token signature -> complete of one contract; the two request times in ms. */
static int
sign_once(struct hconn *hc, const struct signer *s, EVP_PKEY_CTX *ctx, const char *number,
	  double *prep_t, double *done_t)
{
	char path[256], *body, *sigb64;
	json_t *prep, *done, *req;
	double t0, t1, t2, t3;
	long long l0;

	snprintf(path, sizeof(path), "/api/v1/contracts/%s/signing-sessions", number);
	long long a0 = cpu_ns(0), b0 = cpu_ns(1);
	t0 = bench_now_ms();
	prep = post(hc, s->token, path, "", s->prepare_body, 201);
	t1 = bench_now_ms();
	cpu_prep[0] = (double)(cpu_ns(0) - a0) / 1e6;
	cpu_prep[1] = (double)(cpu_ns(1) - b0) / 1e6;
	if (prep == NULL)
		return -1;
	sigb64 = token_sign(ctx, json_string_value(json_object_get(prep, "to_be_signed")));
	snprintf(path, sizeof(path), "/api/v1/signing-sessions/%s/complete",
		 json_string_value(json_object_get(prep, "session")));
	json_decref(prep);
	if (sigb64 == NULL)
		return -1;
	req = json_pack("{s:s}", "signature", sigb64);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	free(sigb64);
	if (body == NULL)
		return -1;
	a0 = cpu_ns(0);
	b0 = cpu_ns(1);
	l0 = cpu_ns(2);
	t2 = bench_now_ms();
	done = post(hc, s->token, path, job.minimal ? "Prefer: return=minimal\r\n" : "", body, 200);
	t3 = bench_now_ms();
	cpu_done[0] = (double)(cpu_ns(0) - a0) / 1e6;
	cpu_done[1] = (double)(cpu_ns(1) - b0) / 1e6;
	done_phase[DONE_SEND] = hc->t_sent - t2;
	done_phase[DONE_WAIT] = hc->t_first - hc->t_sent;
	done_phase[DONE_RECV] = hc->t_read - hc->t_first;
	done_phase[DONE_PARSE] = hc->t_parsed - hc->t_read;
	done_phase[DONE_LOOP] = (double)(cpu_ns(2) - l0) / 1e6;
	done_phase[DONE_WORKERS] = cpu_done[0] - done_phase[DONE_LOOP];
	done_phase[DONE_BYTES] = (double)hc->body_len;
	free(body);
	if (done == NULL)
		return -1;
	json_decref(done);
	*prep_t = t1 - t0;
	*done_t = t3 - t2;
	return 0;
}

static void *
client(void *arg)
{
	struct hconn hc = { .fd = -1 };
	struct signer *s = &job.signers[0];
	EVP_PKEY_CTX *ctx = sign_ctx(s->key);
	int i;

	(void)arg;
	while (ctx != NULL && (i = atomic_fetch_add(&next_contract, 1)) < job.ncontracts)
		if (sign_once(&hc, s, ctx, job.contracts[i], &prep_ms[i], &done_ms[i]) != 0)
			atomic_fetch_add(&failures, 1);
	if (ctx == NULL)
		atomic_fetch_add(&failures, 1);
	EVP_PKEY_CTX_free(ctx);
	hconn_close(&hc);
	free(hc.in.p);
	free(hc.out.p);
	return NULL;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
	return n > 0 ? v[n / 2] : 0;
}

/* A contract's k-th signing against its 1st: every signer in turn, one client. */
static int
chain_run(void)
{
	int ns = job.nsigners, nc = job.ncontracts, k, i, rc = 1;
	double *pt = calloc((size_t)ns * (size_t)nc, sizeof(double));
	double *dt = calloc((size_t)ns * (size_t)nc, sizeof(double));
	double *ct =
		calloc((size_t)ns * (size_t)nc * 4, sizeof(double)); /* server/PG x prep/done */
	double *ph = calloc((size_t)ns * (size_t)nc * DONE_N, sizeof(double)); /* done_phase's */
	double col_p[64], col_d[64], mp[MAX_SIGNERS], md[MAX_SIGNERS], mc[4][MAX_SIGNERS];
	double mph[DONE_N][MAX_SIGNERS];
	int w;
	char path[256];
	json_t *doc;
	struct hconn hc = { .fd = -1 };

	/* (nc <= 64: job_read checked it) */
	if (pt == NULL || dt == NULL || ct == NULL || ph == NULL)
		bench_die("out of memory", NULL);
	for (i = 0; i < nc; i++)
		for (k = 0; k < ns; k++) {
			struct signer *s = &job.signers[k];
			snprintf(path, sizeof(path), "/api/v1/contracts/%s/receive",
				 job.contracts[i]);
			if ((doc = post(&hc, s->token, path, "", "", 200)) == NULL)
				goto out;
			json_decref(doc);
			if (sign_once(&hc, s, s->ctx, job.contracts[i], &pt[i * ns + k],
				      &dt[i * ns + k]) != 0)
				goto out;
			ct[(i * ns + k) * 4 + 0] = cpu_prep[0];
			ct[(i * ns + k) * 4 + 1] = cpu_done[0];
			ct[(i * ns + k) * 4 + 2] = cpu_prep[1];
			ct[(i * ns + k) * 4 + 3] = cpu_done[1];
			memcpy(&ph[(i * ns + k) * DONE_N], done_phase, sizeof(done_phase));
			snprintf(path, sizeof(path), "/api/v1/contracts/%s/send", job.contracts[i]);
			if ((doc = post(&hc, s->token, path, "", "", 200)) == NULL)
				goto out;
			json_decref(doc);
		}
	for (k = 0; k < ns; k++) {
		for (i = 0; i < nc; i++) {
			col_p[i] = pt[i * ns + k];
			col_d[i] = dt[i * ns + k];
		}
		mp[k] = median(col_p, nc);
		md[k] = median(col_d, nc);
		for (w = 0; w < 4; w++) {
			for (i = 0; i < nc; i++)
				col_p[i] = ct[(i * ns + k) * 4 + w];
			mc[w][k] = median(col_p, nc);
		}
		for (w = 0; w < DONE_N; w++) {
			for (i = 0; i < nc; i++)
				col_p[i] = ph[(i * ns + k) * DONE_N + w];
			mph[w][k] = median(col_p, nc);
		}
	}
	printf("  one contract, %d signers in turn (median of %d contracts, one keep-alive "
	       "client, HTTPS), complete answering %s:\n",
	       ns, nc,
	       job.minimal ? "the completion alone (Prefer: return=minimal)"
			   : "the contract document (the default)");
	printf("    k:        ");
	for (k = 0; k < ns; k++)
		printf(" %5d", k + 1);
	printf("\n    prepare:  ");
	for (k = 0; k < ns; k++)
		printf(" %5.1f", mp[k]);
	printf("\n    complete: ");
	for (k = 0; k < ns; k++)
		printf(" %5.1f", md[k]);
	if (job.pid > 0) {
		static const char *const rows[4] = { "server CPU prepare", "server CPU complete",
						     "PG CPU prepare", "PG CPU complete" };

		printf("\n    CPU ms of each request (schedstat, the server's threads and "
		       "PostgreSQL's backends):");
		for (w = 0; w < 4; w++) {
			printf("\n    %-20s", rows[w]);
			for (k = 0; k < ns; k++)
				printf(" %5.2f", mc[w][k]);
		}
	}
	{
		static const char *const rows[DONE_N] = { "client send",     "wait 1st byte",
							  "client receive",  "client parse",
							  "server loop CPU", "server workers CPU",
							  "reply KB" };

		printf("\n    where the complete's wall time went, ms (the client's clock around "
		       "its own steps; CPU from schedstat: the server's main thread, its other "
		       "threads):");
		for (w = 0; w < DONE_N; w++) {
			printf("\n    %-20s", rows[w]);
			for (k = 0; k < ns; k++)
				printf(w == DONE_BYTES ? " %5.1f" : " %5.2f",
				       w == DONE_BYTES ? mph[w][k] / 1024 : mph[w][k]);
		}
	}
	printf("\n    1st signing:  prepare %.1f ms  complete %.1f ms\n", mp[0], md[0]);
	{
		/* the fastest of the contracts: what a request takes when nothing else on
		   the machine got in its way (the medians above are a shared machine's) */
		double f1 = dt[0], fl = dt[ns - 1];

		for (i = 1; i < nc; i++) {
			f1 = dt[i * ns] < f1 ? dt[i * ns] : f1;
			fl = dt[i * ns + ns - 1] < fl ? dt[i * ns + ns - 1] : fl;
		}
		printf("    complete, fastest of the %d contracts: 1st %.2f ms, last %.2f ms\n", nc,
		       f1, fl);
	}
	printf("    last (signing %d): prepare %.1f ms  complete %.1f ms\n", ns, mp[ns - 1],
	       md[ns - 1]);
	if (job.pid > 0) {
		printf("    server CPU, 1st: prepare %.2f ms  complete %.2f ms; last: prepare %.2f "
		       "ms  complete %.2f ms\n",
		       mc[0][0], mc[1][0], mc[0][ns - 1], mc[1][ns - 1]);
		printf("    PostgreSQL CPU, 1st: prepare %.2f ms  complete %.2f ms; last: prepare "
		       "%.2f ms  complete %.2f ms\n",
		       mc[2][0], mc[3][0], mc[2][ns - 1], mc[3][ns - 1]);
	}
	printf("    complete, 1st -> last: send %.2f -> %.2f, wait %.2f -> %.2f, receive %.2f -> "
	       "%.2f, parse %.2f -> %.2f ms; reply %.1f -> %.1f KB\n",
	       mph[DONE_SEND][0], mph[DONE_SEND][ns - 1], mph[DONE_WAIT][0], mph[DONE_WAIT][ns - 1],
	       mph[DONE_RECV][0], mph[DONE_RECV][ns - 1], mph[DONE_PARSE][0],
	       mph[DONE_PARSE][ns - 1], mph[DONE_BYTES][0] / 1024, mph[DONE_BYTES][ns - 1] / 1024);
	rc = 0;
out:
	free(ct);
	free(ph);
	hconn_close(&hc);
	free(hc.in.p);
	free(hc.out.p);
	free(pt);
	free(dt);
	return rc;
}

/*
 * The CPU of pid and, one level down, its children, in ticks: [0] user time,
 * [1] system time (each with the reaped children's); zeros without a pid.
 */
static void
tree_ticks(long pid, long long out[2])
{
	char p[300], line[1024], *s;
	long long ut, st, cut, cst;
	long ppid, self;
	struct dirent *d;
	DIR *dir = pid > 0 ? opendir("/proc") : NULL;
	FILE *f;

	out[0] = out[1] = 0;
	while (dir != NULL && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", d->d_name);
		if ((f = fopen(p, "r")) == NULL)
			continue;
		s = fgets(line, sizeof(line), f);
		fclose(f);
		if (s == NULL || (s = strrchr(line, ')')) == NULL)
			continue;
		/* NOLINTNEXTLINE(cert-err34-c): the kernel's own: a directory name of digits */
		self = atol(d->d_name);
		/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt
		 * cmajflt utime stime cutime cstime */
		/* NOLINTNEXTLINE(cert-err34-c): /proc/PID/stat, the kernel's format */
		if (sscanf(s + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld",
			   &ppid, &ut, &st, &cut, &cst) != 5)
			continue;
		if (self == pid) {
			out[0] += ut + cut;
			out[1] += st + cst;
		} else if (ppid == pid) {
			out[0] += ut;
			out[1] += st;
		}
	}
	if (dir != NULL)
		closedir(dir);
}

/* The first field of a schedstat file: ns on a CPU; 0 when unreadable. */
static long long
schedstat_ns(const char *path)
{
	long long ns = 0;
	FILE *f = fopen(path, "r");

	if (f != NULL) {
		/* NOLINTNEXTLINE(cert-err34-c): schedstat, the kernel's format */
		if (fscanf(f, "%lld", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

/* ns on a CPU of every thread of pid, or of every process whose parent is pid. */
static long long
threads_ns(const char *pid)
{
	char p[300];
	long long sum = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(p, sizeof(p), "/proc/%s/task", pid);
	if ((dir = opendir(p)) == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/task/%s/schedstat", pid, d->d_name);
		sum += schedstat_ns(p);
	}
	closedir(dir);
	return sum;
}

/* which: 0 the server's threads (and children), 1 PostgreSQL's, 2 the server's main
   thread alone (its event loop) */
static long long
cpu_ns(int which)
{
	char p[300], line[512], *s, me[24];
	long pid = which == 1 ? job.pgpid : job.pid;
	long long sum = 0;
	long ppid;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	if (!job.chain || pid <= 0)
		return 0;
	if (which == 2) {
		snprintf(p, sizeof(p), "/proc/%ld/task/%ld/schedstat", pid, pid);
		return schedstat_ns(p);
	}
	snprintf(me, sizeof(me), "%ld", pid);
	sum = threads_ns(me);
	if ((dir = opendir("/proc")) == NULL)
		return sum;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", d->d_name);
		if ((f = fopen(p, "r")) == NULL)
			continue;
		s = fgets(line, sizeof(line), f);
		fclose(f);
		if (s != NULL && (s = strrchr(line, ')')) != NULL &&
		    /* NOLINTNEXTLINE(cert-err34-c): /proc/PID/task/TID/stat, the kernel's */
		    sscanf(s + 2, "%*c %ld", &ppid) == 1 && ppid == pid)
			sum += threads_ns(d->d_name);
	}
	closedir(dir);
	return sum;
}

static double
pct(double *v, int n, double p)
{
	int k = (int)(p / 100.0 * (n - 1) + 0.5);

	return n > 0 ? v[k < n ? k : n - 1] : 0;
}

/* "TOKEN CERT_B64 KEYPATH": a chain signer. */
static int
signer_read(struct signer *s, char *v)
{
	char *cert = strchr(v, ' '), *key = cert != NULL ? strchr(cert + 1, ' ') : NULL;
	FILE *kf;

	if (key == NULL)
		return -1;
	*cert++ = '\0';
	*key++ = '\0';
	if ((kf = fopen(key, "r")) == NULL)
		return -1;
	s->key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
	fclose(kf);
	s->token = strdup(v);
	s->cert_b64 = strdup(cert);
	s->ctx = s->key != NULL ? sign_ctx(s->key) : NULL;
	s->prepare_body = s->cert_b64 != NULL ? prepare_body(s->cert_b64) : NULL;
	return s->token != NULL && s->ctx != NULL && s->prepare_body != NULL ? 0 : -1;
}

/* A job file's pid, pgpid or threads: 1 when v is no number of 1..INT_MAX (atol read it as 0). */
static int
job_num(const char *v, long *out)
{
	int64_t x;

	if (sp_parse_i64(v, 1, INT_MAX, &x) != SP_OK)
		return 1;
	*out = (long)x;
	return 0;
}

static int
job_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *v;
	size_t cap = 0;
	ssize_t n;
	long threads = 0;
	int bad = 0;

	if (f == NULL)
		return -1;
	job.contracts = calloc(MAX_CONTRACTS, sizeof(*job.contracts));
	while (job.contracts != NULL && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "url") == 0)
			snprintf(job.url, sizeof(job.url), "%s", v);
		else if (strcmp(line, "cacert") == 0)
			snprintf(job.cacert, sizeof(job.cacert), "%s", v);
		else if (strcmp(line, "token") == 0)
			snprintf(job.token, sizeof(job.token), "%s", v);
		else if (strcmp(line, "key") == 0)
			snprintf(job.key, sizeof(job.key), "%s", v);
		else if (strcmp(line, "cert") == 0)
			job.cert_b64 = strdup(v);
		else if (strcmp(line, "placements") == 0)
			job.placements = strdup(v);
		else if (strcmp(line, "pid") == 0)
			bad |= job_num(v, &job.pid);
		else if (strcmp(line, "pgpid") == 0)
			bad |= job_num(v, &job.pgpid);
		else if (strcmp(line, "threads") == 0)
			bad |= job_num(v, &threads);
		else if (strcmp(line, "contract") == 0 && job.ncontracts < MAX_CONTRACTS)
			snprintf(job.contracts[job.ncontracts++], 24, "%s", v);
		else if (strcmp(line, "mode") == 0)
			job.chain = strcmp(v, "chain") == 0;
		else if (strcmp(line, "prefer") == 0)
			job.minimal = strcmp(v, "return=minimal") == 0;
		else if (strcmp(line, "signer") == 0 && job.nsigners < MAX_SIGNERS &&
			 signer_read(&job.signers[job.nsigners], v) == 0)
			job.nsigners++;
	}
	free(line);
	fclose(f);
	job.threads = threads <= MAX_THREADS ? (int)threads : 0;
	if (bad)
		return -1;
	if (job.chain)
		return job.contracts != NULL && job.url[0] && job.placements && job.nsigners > 0 &&
				       job.ncontracts > 0 && job.ncontracts <= 64
			       ? 0
			       : -1;
	return job.contracts != NULL && job.url[0] && job.token[0] && job.key[0] && job.cert_b64 &&
			       job.placements && job.threads > 0 && job.threads <= MAX_THREADS &&
			       job.ncontracts > 0
		       ? 0
		       : -1;
}

static double
tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

int
main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	struct rusage ru;
	double t0, wall, *pv, *dv, tick = (double)sysconf(_SC_CLK_TCK) / 1e3; /* per ms */
	long long c0[2], c1[2], g0[2], g1[2];
	FILE *kf;
	struct signer *s = &job.signers[0];
	int i, n = 0;

	/* A peer that closes is an error of a write, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (argc != 2 || job_read(argv[1]) != 0 || url_parse(job.url, job.cacert) != 0) {
		fprintf(stderr, "usage: bench_load JOBFILE (see the comment at the top)\n");
		return 2;
	}
	if (job.chain)
		return chain_run();
	if ((kf = fopen(job.key, "r")) == NULL ||
	    (s->key = PEM_read_PrivateKey(kf, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "bench_load: cannot read the key %s\n", job.key);
		return 2;
	}
	fclose(kf);
	s->token = job.token;
	s->cert_b64 = job.cert_b64;
	prep_ms = calloc((size_t)job.ncontracts, sizeof(double));
	done_ms = calloc((size_t)job.ncontracts, sizeof(double));
	pv = calloc((size_t)job.ncontracts, sizeof(double));
	dv = calloc((size_t)job.ncontracts, sizeof(double));
	if (!prep_ms || !done_ms || !pv || !dv ||
	    (s->prepare_body = prepare_body(s->cert_b64)) == NULL)
		bench_die("out of memory", NULL);
	tree_ticks(job.pid, c0);
	tree_ticks(job.pgpid, g0);
	t0 = bench_now_ms();
	for (i = 0; i < job.threads; i++)
		pthread_create(&th[i], NULL, client, NULL);
	for (i = 0; i < job.threads; i++)
		pthread_join(th[i], NULL);
	wall = (bench_now_ms() - t0) / 1e3;
	tree_ticks(job.pid, c1);
	tree_ticks(job.pgpid, g1);
	for (i = 0; i < job.ncontracts; i++)
		if (done_ms[i] > 0) {
			pv[n] = prep_ms[i];
			dv[n++] = done_ms[i];
		}
	qsort(pv, (size_t)n, sizeof(double), bench_cmp_double);
	qsort(dv, (size_t)n, sizeof(double), bench_cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_load: %d of %d signings completed, %d clients, %ld cores online\n", n,
	       job.ncontracts, job.threads, sysconf(_SC_NPROCESSORS_ONLN));
	printf("  completed signings/s: %.1f (wall %.2f s)\n", n / wall, wall);
	printf("  prepare  ms: p50 %.1f  p99 %.1f\n", pct(pv, n, 50), pct(pv, n, 99));
	printf("  complete ms: p50 %.1f  p99 %.1f\n", pct(dv, n, 50), pct(dv, n, 99));
	if (n == 0)
		n = 1;
	if (job.pid > 0)
		printf("  server CPU per completed signing: %.2f ms (user %.2f, system %.2f; %.2f "
		       "s "
		       "of CPU over the run, /proc/%ld/stat and its children)\n",
		       (double)(c1[0] - c0[0] + c1[1] - c0[1]) / tick / n,
		       (double)(c1[0] - c0[0]) / tick / n, (double)(c1[1] - c0[1]) / tick / n,
		       (double)(c1[0] - c0[0] + c1[1] - c0[1]) / tick / 1e3, job.pid);
	if (job.pgpid > 0)
		printf("  PostgreSQL CPU per completed signing: %.2f ms (user %.2f, system %.2f; "
		       "its "
		       "backends and other processes)\n",
		       (double)(g1[0] - g0[0] + g1[1] - g0[1]) / tick / n,
		       (double)(g1[0] - g0[0]) / tick / n, (double)(g1[1] - g0[1]) / tick / n);
	printf("  load generator CPU per signing: %.2f ms (user %.2f, system %.2f)\n",
	       (tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime)) / n, tv_ms(ru.ru_utime) / n,
	       tv_ms(ru.ru_stime) / n);
	EVP_PKEY_free(s->key);
	SSL_CTX_free(srv.tls);
	return atomic_load(&failures) == 0 ? 0 : 1;
}
