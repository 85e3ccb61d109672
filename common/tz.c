/*
 * tz.c: the UTC offset of a named time zone (IANA, e.g. "Asia/Shanghai") at
 * a given instant, for the date a seal shows.
 *
 * The zone's tzdata file (TZif, RFC 8536) is read once per process and
 * kept: its transitions, and its footer when that is a fixed offset (most
 * zones today, Asia/Shanghai among them). An instant they do not answer
 * (after the last transition of a zone whose footer has a daylight-saving
 * rule, or a file this reader does not take) is asked of the C library.
 * It only knows one zone at a time (TZ, process-wide), so that lookup
 * switches TZ under a mutex and puts it back: a stat, two tzset()s and the
 * file read again, at every signing when it was the only way. Nothing else
 * in sealpact reads local time (logs and the API are UTC). setenv() is not
 * safe against a getenv() running on another thread, so a threaded program
 * calls this from one thread only (the server: its event loop, never a
 * worker).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sp.h"

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

#define TZIF_MAX (256 * 1024) /* the largest tzdata file is ~ 4 KB (fat: ~ 10 KB) */
#define ZONES_KEPT 8

/* A zone's TZif data as kept: the offset in force from each transition on. */
struct zone {
	char name[65];
	int read;       /* tried: the fields below are what it gave */
	int usable;     /* 0: ask the C library (version 1 file, unreadable, odd) */
	size_t n;       /* transitions */
	int64_t *at;    /* their instants, ascending */
	int32_t *off;   /* the UT offset in seconds from at[i] on */
	int32_t before; /* before the first transition (its first standard-time type) */
	int tail;       /* after the last one: 0 the last offset, 1 fixed_off, 2 ask */
	int32_t fixed_off;
};

static struct zone zones[ZONES_KEPT];

/* glibc takes an unknown zone for UTC without a word: insist on its file. */
static int
zone_exists(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	struct stat st;
	size_t i;

	if (zone == NULL || zone[0] == '\0' || strlen(zone) > 64 || zone[0] == '/' ||
	    strstr(zone, "..") != NULL)
		return 0;
	for (i = 0; zone[i] != '\0'; i++) {
		char c = zone[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+'))
			return 0;
	}
	snprintf(path, sizeof(path), "%s/%s",
		 dir != NULL && dir[0] == '/' ? dir : "/usr/share/zoneinfo", zone);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* "[+-]hh[:mm[:ss]]" of a POSIX TZ string: seconds, *p past it; -1 when malformed. */
static long
posix_offset(const char **p)
{
	const char *s = *p;
	long sign = 1, v[3] = { 0, 0, 0 };
	int i, d;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *s != ':')
			break;
		if (i > 0)
			s++;
		for (d = 0; d < 3 && *s >= '0' && *s <= '9'; d++)
			v[i] = v[i] * 10 + (*s++ - '0');
		if (d == 0 || d > 2 + (i == 0))
			return -1;
	}
	if (v[0] > 24 || v[1] > 59 || v[2] > 59)
		return -1;
	*p = s;
	return sign * (v[0] * 3600 + v[1] * 60 + v[2]);
}

/*
 * The footer's TZ string: 1 and *off (the UT offset) when it is a fixed
 * offset ("CST-8", "<+0530>-5:30"), 2 when it has a daylight-saving part
 * (asked of the C library), 0 when empty.
 */
static int
footer(const char *s, int32_t *off)
{
	const char *p = s;
	long o;

	if (*p == '\0')
		return 0;
	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		if (*p++ != '>')
			return 2;
	} else {
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			p++;
	}
	if (p - s < 3 || (o = posix_offset(&p)) == -1 || *p != '\0')
		return 2;
	*off = (int32_t)-o; /* POSIX counts west of Greenwich as positive */
	return 1;
}

/* Parse the version 2+ part of a TZif file (RFC 8536) into z; -1 when it is not one. */
static int
tzif_parse(const unsigned char *d, size_t len, struct zone *z)
{
	size_t cnt[6], p, v1, need, i;
	const unsigned char *times, *idx, *types;
	char foot[128];
	const unsigned char *nl;

	if (len < 44 || memcmp(d, "TZif", 4) != 0 || d[4] < '2')
		return -1;
	/* the version 1 block, skipped: its counts say how long it is */
	for (i = 0; i < 6; i++)
		cnt[i] = (size_t)(uint32_t)be(d + 20 + 4 * i, 4);
	v1 = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
	if (v1 > len - 44 || len - 44 - v1 < 44)
		return -1;
	p = 44 + v1;
	if (memcmp(d + p, "TZif", 4) != 0)
		return -1;
	for (i = 0; i < 6; i++)
		cnt[i] = (size_t)(uint32_t)be(d + p + 20 + 4 * i, 4);
	p += 44;
	/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	if (cnt[4] == 0 || cnt[4] > 256 || cnt[3] > 65536 || cnt[2] > 65536 || cnt[5] > 65536 ||
	    cnt[0] > cnt[4] || cnt[1] > cnt[4])
		return -1;
	need = cnt[3] * 9 + cnt[4] * 6 + cnt[5] + cnt[2] * 12 + cnt[1] + cnt[0];
	if (need > len - p)
		return -1;
	/* leap seconds: right/ zones, which the C library counts differently */
	if (cnt[2] != 0)
		return -1;
	times = d + p;
	idx = times + cnt[3] * 8;
	types = idx + cnt[3];
	p += need;
	/* the footer: "\n" TZ string "\n" */
	if (p >= len || d[p] != '\n' || !(nl = memchr(d + p + 1, '\n', len - p - 1)) ||
	    (size_t)(nl - (d + p + 1)) >= sizeof(foot))
		return -1;
	memcpy(foot, d + p + 1, (size_t)(nl - (d + p + 1)));
	foot[nl - (d + p + 1)] = '\0';
	z->tail = footer(foot, &z->fixed_off);
	if (z->tail == 0 && cnt[3] == 0)
		return -1; /* nothing says what the offset is */
	/* before the first transition: the first standard-time type, as the C library has it */
	for (i = 0; i < cnt[4] && types[6 * i + 4] != 0; i++)
		;
	z->before = (int32_t)be(types + 6 * (i < cnt[4] ? i : 0), 4);
	if (cnt[3] > 0 && (!(z->at = malloc(cnt[3] * sizeof(*z->at))) ||
			   !(z->off = malloc(cnt[3] * sizeof(*z->off)))))
		return -1;
	for (i = 0; i < cnt[3]; i++) {
		z->at[i] = be(times + 8 * i, 8);
		if (idx[i] >= cnt[4] || (i > 0 && z->at[i] <= z->at[i - 1]))
			return -1;
		z->off[i] = (int32_t)be(types + 6 * idx[i], 4);
	}
	z->n = cnt[3];
	return 0;
}

/* Read zone's file into a kept entry (tz_lock held); the entry, or NULL when none is free. */
static struct zone *
zone_get(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	unsigned char *d = NULL;
	size_t len = 0, i;
	struct zone *z = NULL;
	struct sp_errinfo ei;

	for (i = 0; i < ZONES_KEPT; i++) {
		if (zones[i].read && strcmp(zones[i].name, zone) == 0)
			return &zones[i];
		if (!zones[i].read && z == NULL)
			z = &zones[i];
	}
	if (z == NULL)
		return NULL;
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", zone);
	z->read = 1;
	snprintf(path, sizeof(path), "%s/%s",
		 dir != NULL && dir[0] == '/' ? dir : "/usr/share/zoneinfo", zone);
	sp_errinfo_init(&ei);
	if (sp_file_read(path, TZIF_MAX, &d, &len, &ei) == SP_OK && tzif_parse(d, len, z) == 0) {
		z->usable = 1;
	} else {
		free(z->at);
		free(z->off);
		z->at = NULL;
		z->off = NULL;
		z->n = 0;
	}
	free(d);
	return z;
}

/* z's offset at t in seconds: 1, or 0 when the C library must say. */
static int
zone_offset(const struct zone *z, time_t t, long *off)
{
	size_t lo, hi, mid;

	if (!z->usable)
		return 0;
	if (z->n == 0 || (int64_t)t >= z->at[z->n - 1]) {
		if (z->tail == 2)
			return 0;
		*off = z->tail == 1 ? z->fixed_off : z->off[z->n - 1];
		return 1;
	}
	if ((int64_t)t < z->at[0]) {
		*off = z->before;
		return 1;
	}
	/* the last transition at or before t */
	lo = 0;
	hi = z->n - 1;
	while (lo + 1 < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= (int64_t)t)
			lo = mid;
		else
			hi = mid;
	}
	*off = z->off[lo];
	return 1;
}

int
sp_tz_check(const char *zone, struct sp_errinfo *ei)
{
	if (!zone_exists(zone))
		return sp_err(ei, SP_ERR_INVALID,
			      "unknown time zone \"%.64s\" (an IANA name such as Asia/Shanghai or "
			      "UTC; the tzdata package provides them)",
			      zone != NULL ? zone : "");
	return SP_OK;
}

/* The C library's answer: TZ switched to zone for a moment (tz_lock held). */
static int
libc_offset(const char *zone, time_t t, int *off_min, struct sp_errinfo *ei)
{
	char saved[256];
	const char *old;
	int had, r = SP_ERR_INTERNAL;
	struct tm tm;

	old = getenv("TZ");
	had = old != NULL && strlen(old) < sizeof(saved);
	if (had)
		snprintf(saved, sizeof(saved), "%s", old);
	if (setenv("TZ", zone, 1) != 0)
		return sp_err(ei, SP_ERR_NOMEM, "cannot set TZ: %s", strerror(errno));
	tzset();
	if (localtime_r(&t, &tm) == NULL) {
		r = sp_err(ei, SP_ERR_INVALID, "time out of range for zone %s", zone);
		goto restore;
	}
	*off_min = (int)(tm.tm_gmtoff / 60);
	r = SP_OK;
restore:
	if (had)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	return r;
}

int
sp_tz_offset(const char *zone, time_t t, int *off_min, struct sp_errinfo *ei)
{
	struct zone *z;
	long off;
	int r;

	*off_min = 0;
	pthread_mutex_lock(&tz_lock);
	/* a zone kept was checked when it was read */
	for (z = NULL, r = 0; r < ZONES_KEPT && z == NULL; r++)
		if (zones[r].read && strcmp(zones[r].name, zone != NULL ? zone : "") == 0)
			z = &zones[r];
	if (z == NULL && (r = sp_tz_check(zone, ei)) != SP_OK)
		goto out;
	if (z == NULL)
		z = zone_get(zone);
	if (z != NULL && zone_offset(z, t, &off)) {
		*off_min = (int)(off / 60);
		r = SP_OK;
		goto out;
	}
	r = libc_offset(zone, t, off_min, ei);
out:
	pthread_mutex_unlock(&tz_lock);
	return r;
}

int
sp_tz_offset_libc(const char *zone, time_t t, int *off_min, struct sp_errinfo *ei)
{
	int r;

	*off_min = 0;
	if ((r = sp_tz_check(zone, ei)) != SP_OK)
		return r;
	pthread_mutex_lock(&tz_lock);
	r = libc_offset(zone, t, off_min, ei);
	pthread_mutex_unlock(&tz_lock);
	return r;
}
