/*
 * lazy/curl.c: the libcurl functions the sealpact terminal calls, resolved from
 * libcurl.so.4 at their first use instead of by the dynamic loader at start-up.
 *
 * Why: libcurl brings about twenty shared libraries (TLS, Kerberos, LDAP, SSH,
 * HTTP/2, IDN, brotli, zstd ...) whose loading and relocation cost more than
 * verifying a signed contract, and `sealpact verify` never opens a connection
 * unless a certificate's revocation must be fetched. These definitions are
 * linked into the sealpact executable only (as objects, so they always win over
 * the shared library and `--as-needed` drops libcurl from its NEEDED list:
 * tests/support/needed.sh checks that); the server, the tests and the fuzzers
 * link libcurl itself. The callers need no change: crypto/http.c and
 * client/http.c call curl_global_init() first, and a missing libcurl makes it
 * fail, which both already report.
 */
#define CURL_DISABLE_TYPECHECK /* its macros would rename the definitions below */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LAZY_CURL_SONAME "libcurl.so.4"

static struct {
	void *so;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int,
				 struct curl_header **);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	void (*free)(void *);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	void (*url_cleanup)(CURLU *);
	char *(*version)(void);
} lc;

static pthread_once_t lc_once = PTHREAD_ONCE_INIT;
static char lc_why[300] = "libcurl (" LAZY_CURL_SONAME ") is not loaded";

static void
lc_load(void)
{
	void *so = dlopen(LAZY_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (so == NULL) {
		snprintf(lc_why, sizeof(lc_why), "libcurl cannot be loaded: %s", dlerror());
		return;
	}
	/* POSIX's way to store dlsym()'s object pointer into a function pointer */
#define LC_SYM(field, name) \
	if (missing == NULL && (*(void **)&lc.field = dlsym(so, name)) == NULL) \
		missing = name;
	LC_SYM(global_init, "curl_global_init")
	LC_SYM(easy_init, "curl_easy_init")
	LC_SYM(easy_setopt, "curl_easy_setopt")
	LC_SYM(easy_perform, "curl_easy_perform")
	LC_SYM(easy_getinfo, "curl_easy_getinfo")
	LC_SYM(easy_cleanup, "curl_easy_cleanup")
	LC_SYM(easy_reset, "curl_easy_reset")
	LC_SYM(easy_strerror, "curl_easy_strerror")
	LC_SYM(easy_header, "curl_easy_header")
	LC_SYM(slist_append, "curl_slist_append")
	LC_SYM(slist_free_all, "curl_slist_free_all")
	LC_SYM(free, "curl_free")
	LC_SYM(url, "curl_url")
	LC_SYM(url_set, "curl_url_set")
	LC_SYM(url_get, "curl_url_get")
	LC_SYM(url_cleanup, "curl_url_cleanup")
	LC_SYM(version, "curl_version")
#undef LC_SYM
	if (missing != NULL) {
		snprintf(lc_why, sizeof(lc_why), "%s lacks %s", LAZY_CURL_SONAME, missing);
		memset(&lc, 0, sizeof(lc));
		dlclose(so);
		return;
	}
	lc.so = so;
}

static int
lc_ready(void)
{
	pthread_once(&lc_once, lc_load);
	return lc.so != NULL;
}

CURLcode
curl_global_init(long flags)
{
	return lc_ready() ? lc.global_init(flags) : CURLE_FAILED_INIT;
}

CURL *
curl_easy_init(void)
{
	return lc_ready() ? lc.easy_init() : NULL;
}

/* curl_easy_setopt() takes one argument after the option, whose type the
 * option's number range says (curl.h's CURLOPTTYPE_*): pass it on as that
 * type. Function pointers travel as object pointers, as everywhere dlsym()
 * works. */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	CURLcode r;
	va_list ap;

	if (!lc_ready())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	/* curl_off_t is long here, not everywhere */
	/* NOLINTBEGIN(bugprone-branch-clone) */
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = lc.easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_OFF_T || opt >= CURLOPTTYPE_BLOB)
		r = lc.easy_setopt(h, opt, va_arg(ap, void *));
	else
		r = lc.easy_setopt(h, opt, va_arg(ap, curl_off_t));
	/* NOLINTEND(bugprone-branch-clone) */
	va_end(ap);
	return r;
}

CURLcode
curl_easy_perform(CURL *h)
{
	return lc_ready() ? lc.easy_perform(h) : CURLE_FAILED_INIT;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	CURLcode r;
	va_list ap;

	if (!lc_ready())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	r = lc.easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return r;
}

void
curl_easy_cleanup(CURL *h)
{
	if (h != NULL && lc_ready())
		lc.easy_cleanup(h);
}

void
curl_easy_reset(CURL *h)
{
	if (h != NULL && lc_ready())
		lc.easy_reset(h);
}

const char *
curl_easy_strerror(CURLcode c)
{
	return lc_ready() ? lc.easy_strerror(c) : lc_why;
}

CURLHcode
curl_easy_header(CURL *h, const char *name, size_t index, unsigned int origin, int request,
		 struct curl_header **hout)
{
	return lc_ready() ? lc.easy_header(h, name, index, origin, request, hout)
			  : CURLHE_BAD_ARGUMENT;
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	return lc_ready() ? lc.slist_append(l, s) : NULL;
}

void
curl_slist_free_all(struct curl_slist *l)
{
	if (l != NULL && lc_ready())
		lc.slist_free_all(l);
}

void
curl_free(void *p)
{
	if (p != NULL && lc_ready())
		lc.free(p);
}

CURLU *
curl_url(void)
{
	return lc_ready() ? lc.url() : NULL;
}

CURLUcode
curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	return lc_ready() ? lc.url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode
curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	return lc_ready() ? lc.url_get(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

void
curl_url_cleanup(CURLU *u)
{
	if (u != NULL && lc_ready())
		lc.url_cleanup(u);
}

char *
curl_version(void)
{
	return lc_ready() ? lc.version() : lc_why;
}
