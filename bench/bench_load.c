/*
 * bench_load.c: a lean signing load generator (issue 14). It drives prepare
 * -> token signature -> complete against a running sealpactd from plain
 * threads, one keep-alive libcurl handle each, and signs to_be_signed in
 * process with the client's key (OpenSSL, standing for the token), so that
 * the load generator takes little of the cores it shares with the server.
 *
 *   bench_load JOBFILE
 *
 * JOBFILE (written by bench/bench_load.py, which sets up the server, the
 * contracts and the session) has one "key value" a line:
 *   url URL          the server's base URL
 *   cacert PATH      the CA of its TLS certificate (absent: plain HTTP)
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
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sp.h"

#define MAX_CONTRACTS 100000
#define MAX_THREADS 256
#define MAX_SIGNERS 64

struct signer {
	char *token, *cert_b64;
	EVP_PKEY *key;
	struct curl_slist *h;
};

static struct {
	char url[512], cacert[512], token[512], key[512];
	char *cert_b64, *placements;
	long pid, pgpid;
	int threads;
	char (*contracts)[24];
	int ncontracts, chain;
	struct signer signers[MAX_SIGNERS];
	int nsigners;
} job;

static EVP_PKEY *pkey;
static atomic_int next_contract, failures;
/*
 * Chain mode with a pid: the server's and PostgreSQL's CPU (ns, schedstat) taken
 * around each request of the one client, so that a k-th prepare and complete
 * have their own CPU cost, whatever else runs on the machine. [0] server, [1] PG.
 */
static long long cpu_ns(int which);
static double cpu_prep[2], cpu_done[2]; /* of the last sign_once, ms */
static double *prep_ms, *done_ms;       /* indexed by contract */

struct buf {
	char *p;
	size_t n, cap;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		if ((p = realloc(b->p, b->cap)) == NULL)
			return 0;
		b->p = p;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* POST body to path; the answer's JSON when the status is want, else NULL (and a message). */
static json_t *
post(CURL *c, struct curl_slist *h, const char *path, const char *body, long want)
{
	char url[1024];
	struct buf b = { 0 };
	json_error_t je;
	json_t *doc = NULL;
	long st = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", job.url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	if (rc != CURLE_OK || st != want || b.p == NULL ||
	    (doc = json_loads(b.p, 0, &je)) == NULL) {
		fprintf(stderr, "bench_load: POST %s: %s, HTTP %ld: %.300s\n", path,
			curl_easy_strerror(rc), st, b.p != NULL ? b.p : "");
		json_decref(doc);
		doc = NULL;
	}
	free(b.p);
	return doc;
}

/* The token's part: sign to_be_signed (RSA PKCS#1 v1.5 or ECDSA over SHA-256). */
static char *
token_sign(EVP_PKEY *key, const char *tbs_b64)
{
	unsigned char *tbs = NULL, sig[1024];
	size_t tbslen = 0, siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *out = NULL;

	if (md != NULL &&
	    sp_b64_decode(tbs_b64, strlen(tbs_b64), 65536, 0, &tbs, &tbslen) == SP_OK &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, tbs, tbslen) == 1)
		out = sp_b64_encode(sig, siglen, 0);
	EVP_MD_CTX_free(md);
	free(tbs);
	return out;
}

static struct curl_slist *
headers(const char *token)
{
	char auth[600];
	struct curl_slist *h;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(NULL, auth);
	return h != NULL ? curl_slist_append(h, "Content-Type: application/json") : NULL;
}

static CURL *
handle(void)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		return NULL;
	if (job.cacert[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, job.cacert);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	return c;
}

/* prepare -> token signature -> complete of one contract; the two request times in ms. */
static int
sign_once(CURL *c, struct curl_slist *h, const char *number, const char *cert_b64, EVP_PKEY *key,
	  double *prep_t, double *done_t)
{
	char path[256], *body, *sigb64;
	json_t *prep, *done, *req;
	double t0, t1, t2, t3;

	snprintf(path, sizeof(path), "/api/v1/contracts/%s/signing-sessions", number);
	req = json_pack("{s:s,s:o}", "certificate", cert_b64, "placements",
			json_loads(job.placements, 0, NULL));
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	long long a0 = cpu_ns(0), b0 = cpu_ns(1);
	t0 = now_ms();
	prep = post(c, h, path, body, 201);
	t1 = now_ms();
	cpu_prep[0] = (double)(cpu_ns(0) - a0) / 1e6;
	cpu_prep[1] = (double)(cpu_ns(1) - b0) / 1e6;
	free(body);
	if (prep == NULL)
		return -1;
	sigb64 = token_sign(key, json_string_value(json_object_get(prep, "to_be_signed")));
	snprintf(path, sizeof(path), "/api/v1/signing-sessions/%s/complete",
		 json_string_value(json_object_get(prep, "session")));
	json_decref(prep);
	if (sigb64 == NULL)
		return -1;
	req = json_pack("{s:s}", "signature", sigb64);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	free(sigb64);
	a0 = cpu_ns(0);
	b0 = cpu_ns(1);
	t2 = now_ms();
	done = post(c, h, path, body, 200);
	t3 = now_ms();
	cpu_done[0] = (double)(cpu_ns(0) - a0) / 1e6;
	cpu_done[1] = (double)(cpu_ns(1) - b0) / 1e6;
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
	CURL *c = handle();
	struct curl_slist *h = headers(job.token);
	int i;

	(void)arg;
	while (c != NULL && h != NULL && (i = atomic_fetch_add(&next_contract, 1)) < job.ncontracts)
		if (sign_once(c, h, job.contracts[i], job.cert_b64, pkey, &prep_ms[i],
			      &done_ms[i]) != 0)
			atomic_fetch_add(&failures, 1);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static int cmp(const void *a, const void *b);

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	return n > 0 ? v[n / 2] : 0;
}

/* A contract's k-th signing against its 1st: every signer in turn, one client. */
static int
chain_run(void)
{
	int ns = job.nsigners, nc = job.ncontracts, k, i;
	double *pt = calloc((size_t)(ns * nc), sizeof(double));
	double *dt = calloc((size_t)(ns * nc), sizeof(double));
	double *ct = calloc((size_t)(ns * nc * 4), sizeof(double)); /* server/PG x prep/done */
	double col_p[64], col_d[64], mp[MAX_SIGNERS], md[MAX_SIGNERS], mc[4][MAX_SIGNERS];
	int w;
	char path[256];
	json_t *doc;
	CURL *c = handle();

	if (pt == NULL || dt == NULL || ct == NULL || c == NULL || nc > 64)
		return 2;
	for (i = 0; i < nc; i++)
		for (k = 0; k < ns; k++) {
			struct signer *s = &job.signers[k];
			snprintf(path, sizeof(path), "/api/v1/contracts/%s/receive",
				 job.contracts[i]);
			if ((doc = post(c, s->h, path, "", 200)) == NULL)
				return 1;
			json_decref(doc);
			if (sign_once(c, s->h, job.contracts[i], s->cert_b64, s->key,
				      &pt[i * ns + k], &dt[i * ns + k]) != 0)
				return 1;
			ct[(i * ns + k) * 4 + 0] = cpu_prep[0];
			ct[(i * ns + k) * 4 + 1] = cpu_done[0];
			ct[(i * ns + k) * 4 + 2] = cpu_prep[1];
			ct[(i * ns + k) * 4 + 3] = cpu_done[1];
			snprintf(path, sizeof(path), "/api/v1/contracts/%s/send", job.contracts[i]);
			if ((doc = post(c, s->h, path, "", 200)) == NULL)
				return 1;
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
	}
	printf("  one contract, %d signers in turn (median of %d contracts, one keep-alive "
	       "client, HTTPS):\n",
	       ns, nc);
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
	printf("\n    1st signing:  prepare %.1f ms  complete %.1f ms\n", mp[0], md[0]);
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
	free(ct);
	curl_easy_cleanup(c);
	free(pt);
	free(dt);
	return 0;
}

/* utime + stime (+ reaped children's) of pid and, one level down, its children, in ticks. */
static long long
tree_ticks(long pid)
{
	char p[300], line[1024], *s;
	long long sum = 0, ut, st, cut, cst;
	long ppid, self;
	struct dirent *d;
	DIR *dir = opendir("/proc");
	FILE *f;

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
		self = atol(d->d_name);
		/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt
		 * cmajflt utime stime cutime cstime */
		if (sscanf(s + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld",
			   &ppid, &ut, &st, &cut, &cst) != 5)
			continue;
		if (self == pid)
			sum += ut + st + cut + cst;
		else if (ppid == pid)
			sum += ut + st;
	}
	if (dir != NULL)
		closedir(dir);
	return sum;
}

/* The first field of a schedstat file: ns on a CPU; 0 when unreadable. */
static long long
schedstat_ns(const char *path)
{
	long long ns = 0;
	FILE *f = fopen(path, "r");

	if (f != NULL) {
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

static long long
cpu_ns(int which)
{
	char p[300], line[512], *s, me[24];
	long pid = which == 0 ? job.pid : job.pgpid;
	long long sum = 0;
	long ppid;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	if (!job.chain || pid <= 0)
		return 0;
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
		    sscanf(s + 2, "%*c %ld", &ppid) == 1 && ppid == pid)
			sum += threads_ns(d->d_name);
	}
	closedir(dir);
	return sum;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
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
	s->h = s->token != NULL ? headers(s->token) : NULL;
	return s->key != NULL && s->cert_b64 != NULL && s->h != NULL ? 0 : -1;
}

static int
job_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *v;
	size_t cap = 0;
	ssize_t n;

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
			job.pid = atol(v);
		else if (strcmp(line, "pgpid") == 0)
			job.pgpid = atol(v);
		else if (strcmp(line, "threads") == 0)
			job.threads = atoi(v);
		else if (strcmp(line, "contract") == 0 && job.ncontracts < MAX_CONTRACTS)
			snprintf(job.contracts[job.ncontracts++], 24, "%s", v);
		else if (strcmp(line, "mode") == 0)
			job.chain = strcmp(v, "chain") == 0;
		else if (strcmp(line, "signer") == 0 && job.nsigners < MAX_SIGNERS &&
			 signer_read(&job.signers[job.nsigners], v) == 0)
			job.nsigners++;
	}
	free(line);
	fclose(f);
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

int
main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	struct rusage ru;
	double t0, wall, *pv, *dv, tick = (double)sysconf(_SC_CLK_TCK);
	long long c0, c1, g0, g1;
	FILE *kf;
	int i, n = 0;

	if (argc != 2 || job_read(argv[1]) != 0) {
		fprintf(stderr, "usage: bench_load JOBFILE (see the comment at the top)\n");
		return 2;
	}
	if (job.chain) {
		curl_global_init(CURL_GLOBAL_ALL);
		i = chain_run();
		curl_global_cleanup();
		return i;
	}
	if ((kf = fopen(job.key, "r")) == NULL ||
	    (pkey = PEM_read_PrivateKey(kf, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "bench_load: cannot read the key %s\n", job.key);
		return 2;
	}
	fclose(kf);
	curl_global_init(CURL_GLOBAL_ALL);
	prep_ms = calloc((size_t)job.ncontracts, sizeof(double));
	done_ms = calloc((size_t)job.ncontracts, sizeof(double));
	pv = calloc((size_t)job.ncontracts, sizeof(double));
	dv = calloc((size_t)job.ncontracts, sizeof(double));
	if (!prep_ms || !done_ms || !pv || !dv)
		return 2;
	c0 = job.pid > 0 ? tree_ticks(job.pid) : 0;
	g0 = job.pgpid > 0 ? tree_ticks(job.pgpid) : 0;
	t0 = now_ms();
	for (i = 0; i < job.threads; i++)
		pthread_create(&th[i], NULL, client, NULL);
	for (i = 0; i < job.threads; i++)
		pthread_join(th[i], NULL);
	wall = (now_ms() - t0) / 1e3;
	c1 = job.pid > 0 ? tree_ticks(job.pid) : 0;
	g1 = job.pgpid > 0 ? tree_ticks(job.pgpid) : 0;
	for (i = 0; i < job.ncontracts; i++)
		if (done_ms[i] > 0) {
			pv[n] = prep_ms[i];
			dv[n++] = done_ms[i];
		}
	qsort(pv, (size_t)n, sizeof(double), cmp);
	qsort(dv, (size_t)n, sizeof(double), cmp);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_load: %d of %d signings completed, %d clients, %ld cores online\n", n,
	       job.ncontracts, job.threads, sysconf(_SC_NPROCESSORS_ONLN));
	printf("  completed signings/s: %.1f (wall %.2f s)\n", n / wall, wall);
	printf("  prepare  ms: p50 %.1f  p99 %.1f\n", pct(pv, n, 50), pct(pv, n, 99));
	printf("  complete ms: p50 %.1f  p99 %.1f\n", pct(dv, n, 50), pct(dv, n, 99));
	if (job.pid > 0)
		printf("  server CPU per completed signing: %.2f ms (%.2f s of CPU over the run, "
		       "/proc/%ld/stat and its children)\n",
		       n > 0 ? (double)(c1 - c0) / tick * 1e3 / n : 0, (double)(c1 - c0) / tick,
		       job.pid);
	if (job.pgpid > 0 && n > 0)
		printf("  PostgreSQL CPU per completed signing: %.2f ms (its backends)\n",
		       (double)(g1 - g0) / tick * 1e3 / n);
	printf("  load generator CPU per signing: %.2f ms\n",
	       n > 0 ? ((double)ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
			(double)ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3) /
			       n
		     : 0);
	curl_global_cleanup();
	EVP_PKEY_free(pkey);
	return atomic_load(&failures) == 0 ? 0 : 1;
}
