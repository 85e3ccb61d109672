/*
 * tz.c: the UTC offset of a named time zone (IANA, e.g. "Asia/Shanghai") at
 * a given instant, for the date a seal shows.
 *
 * The C library only knows one zone at a time (TZ, process-wide), so the
 * lookup switches TZ under a mutex and puts it back. Nothing else in
 * sealpact reads local time (logs and the API are UTC). setenv() is not safe
 * against a getenv() running on another thread, so a threaded program calls
 * this from one thread only (the server: its event loop, never a worker).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sp.h"

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

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

int
sp_tz_offset(const char *zone, time_t t, int *off_min, struct sp_errinfo *ei)
{
	char saved[256];
	const char *old;
	int had, r = SP_ERR_INTERNAL;
	struct tm tm;

	*off_min = 0;
	if ((r = sp_tz_check(zone, ei)) != SP_OK)
		return r;
	pthread_mutex_lock(&tz_lock);
	old = getenv("TZ");
	had = old != NULL && strlen(old) < sizeof(saved);
	if (had)
		snprintf(saved, sizeof(saved), "%s", old);
	if (setenv("TZ", zone, 1) != 0) {
		r = sp_err(ei, SP_ERR_NOMEM, "cannot set TZ: %s", strerror(errno));
		goto out;
	}
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
out:
	pthread_mutex_unlock(&tz_lock);
	return r;
}
