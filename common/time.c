/*
 * time.c: RFC 3339 date-times, parsed field by field without the C
 * library's locale, time zone or lenient scanf (sp.h: sp_time_parse). The
 * server's deadlines, list filters and key expiries and the CLI's
 * `verify --at` read times through it, so both accept the same strings.
 */
#include <string.h>

#include "sp.h"

/* n decimal digits at s into *v; 0 when one is not a digit. */
static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), as timegm() without the TZ. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The latest instant a time may name: 9999-12-31T23:59:59Z (a later one has no RFC 3339 form). */
#define TIME_MAX INT64_C(253402300799)
/* The widest zone offset in use (Kiribati, +14:00): PostgreSQL refuses past 15:59. */
#define OFFSET_MAX_MIN (14 * 60)

int
sp_time_parse(const char *s, int64_t *epoch, const char **why)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, leap;
	size_t n, i = 19;
	int64_t t;

	*epoch = 0;
	*why = "not of the form 2026-12-31T18:00:00+08:00";
	if (s == NULL || (n = strlen(s)) < 19 || n > 40)
		return SP_ERR_INVALID;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return SP_ERR_INVALID;
	if (s[i] == '.') {
		if (s[++i] < '0' || s[i] > '9')
			return SP_ERR_INVALID;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0') {
		sign = 0;
	} else if ((s[i] == '+' || s[i] == '-') && n - i == 6 && digits(s + i + 1, 2, &oh) &&
		   s[i + 3] == ':' && digits(s + i + 4, 2, &om)) {
		sign = s[i] == '+' ? 1 : -1;
	} else {
		*why = "without a zone (Z or an offset such as +08:00) at its end";
		return SP_ERR_INVALID;
	}
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970) {
		*why = "before 1970";
		return SP_ERR_INVALID;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap ? 1 : 0)) {
		*why = "not a day of the calendar";
		return SP_ERR_INVALID;
	}
	if (h > 23 || mi > 59 || sec > 60) {
		*why = "not a time of day (00:00:00 to 23:59:59; 24:00 is the next day's 00:00)";
		return SP_ERR_INVALID;
	}
	if (om > 59 || oh * 60 + om > OFFSET_MAX_MIN) {
		*why = "its zone offset lies beyond -14:00..+14:00";
		return SP_ERR_INVALID;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	/* A leap second is 23:59:60 UTC; it counts as the next day's first second, as
	   PostgreSQL stores it (POSIX time has no room for it). */
	if (sec == 60 && t % 86400 != 0) {
		*why = "second 60 (a leap second) that is not 23:59:60 UTC";
		return SP_ERR_INVALID;
	}
	if (t > TIME_MAX) {
		*why = "after 9999-12-31T23:59:59Z";
		return SP_ERR_INVALID;
	}
	*epoch = t;
	*why = NULL;
	return SP_OK;
}
