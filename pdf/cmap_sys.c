/*
 * cmap_sys.c: the predefined CJK CMaps (ISO 32000-1 §9.7.5.2, e.g.
 * GBK-EUC-H) and the CID-to-Unicode tables of Adobe's four character
 * collections, read from Debian's poppler-data (/usr/share/poppler), for
 * Type0 fonts that name one and carry no /ToUnicode: what Acrobat Distiller
 * and older Chinese, Japanese and Korean writers produce with fonts they do
 * not embed. Without them such text cannot be found by keyword.
 *
 * The files are Adobe's and change only with the package: each is read and
 * parsed once per process, on first use, and then shared read-only by every
 * thread (the text locator's one piece of global state). A name that is not
 * a file is remembered too, so a document naming many cannot make the
 * process probe the disk for each.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "text_int.h"

#define SYS_DIR "/usr/share/poppler"
#define SYS_NAMES_MAX 256      /* CMap names remembered (found or not) */
#define SYS_FILE_MAX (4 << 20) /* one CMap or table file */
#define SYS_CIDS_MAX 100000    /* CIDs in one collection's table */

static const char *const collections[] = { "Adobe-GB1", "Adobe-CNS1", "Adobe-Japan1",
					   "Adobe-Korea1" };
#define NCOLL (sizeof(collections) / sizeof(collections[0]))

struct sys_cmap {
	char name[64];
	size_t coll;
	struct cmap *cm; /* NULL: no such file, or not one this parser reads */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct sys_cmap names[SYS_NAMES_MAX];
static size_t nnames;
static struct {
	int read;
	uint32_t *uni; /* by CID; 0: none */
	size_t n;
} tables[NCOLL];

/* The collection "Registry-Ordering" names, or -1 for any other. */
static int
collection(const char *ro)
{
	size_t i;

	for (i = 0; i < NCOLL; i++)
		if (!strcmp(ro, collections[i]))
			return (int)i;
	return -1;
}

/* A whole file of 1 to SYS_FILE_MAX bytes (malloc'd), NULL when unreadable. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	struct stat st;
	size_t n = 0;

	if (f && fstat(fileno(f), &st) == 0 && st.st_size > 0 && st.st_size <= SYS_FILE_MAX &&
	    (b = malloc((size_t)st.st_size)) != NULL &&
	    (n = fread(b, 1, (size_t)st.st_size, f)) != (size_t)st.st_size) {
		free(b);
		b = NULL;
	}
	if (f)
		fclose(f);
	*len = b ? n : 0;
	return b;
}

/*
 * The CMap file's parse; NULL for one that builds on another (usecmap: only
 * the vertical variants do, and they are read as their horizontal base).
 */
static struct cmap *
load_cmap_file(size_t coll, const char *name)
{
	char path[256];
	unsigned char *b;
	size_t len;
	struct cmap *cm = NULL;

	snprintf(path, sizeof(path), SYS_DIR "/cMap/%s/%s", collections[coll], name);
	if (!(b = slurp(path, &len)))
		return NULL;
	if (!memmem(b, len, "usecmap", 7) && cmap_parse(b, len, &cm, NULL) != SP_OK)
		cm = NULL;
	free(b);
	return cm;
}

const struct cmap *
cmap_sys_encoding(const char *ro, const char *name)
{
	char want[64];
	size_t i, n = strlen(name);
	int coll = collection(ro);
	const struct cmap *cm = NULL;

	/* a name from the document: letters, digits and dashes, never a path */
	if (coll < 0 || n == 0 || n >= sizeof(want) || name[0] == '-')
		return NULL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return NULL;
	memcpy(want, name, n + 1);
	/* vertical writing is laid out as horizontal text: the -H variant's codes */
	if (n > 2 && !strcmp(want + n - 2, "-V"))
		want[n - 1] = 'H';
	pthread_mutex_lock(&mu);
	for (i = 0; i < nnames; i++)
		if (names[i].coll == (size_t)coll && !strcmp(names[i].name, want))
			break;
	if (i == nnames && nnames < SYS_NAMES_MAX) {
		snprintf(names[i].name, sizeof(names[i].name), "%s", want);
		names[i].coll = (size_t)coll;
		names[i].cm = load_cmap_file((size_t)coll, want);
		nnames++;
	}
	if (i < nnames)
		cm = names[i].cm;
	pthread_mutex_unlock(&mu);
	return cm;
}

/* The table file: one line per CID from 0, the Unicode value in hex (0 for none). */
static void
load_table(size_t coll)
{
	char path[256];
	unsigned char *b;
	size_t len, i, n = 0;
	uint32_t v = 0;
	int digits = 0;

	snprintf(path, sizeof(path), SYS_DIR "/cidToUnicode/%s", collections[coll]);
	if (!(b = slurp(path, &len)))
		return;
	if ((tables[coll].uni = calloc(SYS_CIDS_MAX, sizeof(uint32_t))) != NULL) {
		for (i = 0; i < len && n < SYS_CIDS_MAX; i++) {
			int d = sp_hex_val(b[i]);
			if (d >= 0 && digits < 8) {
				v = v << 4 | (uint32_t)d;
				digits++;
			} else if (b[i] == '\n') {
				tables[coll].uni[n++] = digits > 0 && v <= 0x10FFFF ? v : 0;
				v = 0;
				digits = 0;
			}
		}
		tables[coll].n = n;
	}
	free(b);
}

const uint32_t *
cmap_sys_cid_table(const char *ro, size_t *n)
{
	int coll = collection(ro);
	const uint32_t *t;

	*n = 0;
	if (coll < 0)
		return NULL;
	pthread_mutex_lock(&mu);
	if (!tables[coll].read) {
		load_table((size_t)coll);
		tables[coll].read = 1;
	}
	t = tables[coll].uni;
	*n = tables[coll].n;
	pthread_mutex_unlock(&mu);
	return t;
}
