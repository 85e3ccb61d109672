/*
 * test_crypto_verify_sig_parent_cost.c: the cost of judging new parent
 * fields that gather signature fields (pdf/diff_form.c, sig_parent; stop
 * 42's countersignature rule) on a hostile file (review45).
 *
 * sig_parent() walks a new parent's /Kids depth first, to depth 8 with up
 * to 64 kids a level, and keeps no record of what it walked: a parent whose
 * 64 kids are one and the same next-level parent is walked 64 times, and so
 * on down. Nine small objects make 64^8 walks of the last level, each a few
 * qpdf calls and handles: POST /api/v1/verify, or `sealpact verify`, never
 * ends (and the handles qpdf keeps grow memory with it). The design asks for
 * a cost linear in the file.
 *
 * The file: a signed contract, then an update whose AcroForm /Fields gains
 * one new parent field, levels 100..108 each with /Kids [next x 64], the
 * last level's kids one signature field. Its verification must end within
 * the test's time limit (a few thousand objects' work takes well under a
 * second; the tcase's limit is 60 s).
 */
#include <check.h>

#include "support_suite.h"
#include "test_verify_countersign.h"

#define LEVELS 9
#define KIDS 64

VC_TRUST_FIXTURE

/*
 * d with object num (body) redefined by an update with a classic table,
 * trailer /Size size, /Root root: written here, for sealpact's own open of
 * d refuses its field tree (vc_update opens what it appends to).
 */
static unsigned char *
append_one(const unsigned char *d, size_t n, int num, const char *body, int root, long long size,
	   size_t *outn)
{
	struct gbuf b = { malloc(n + strlen(body) + 512), 0, n + strlen(body) + 512 };
	const unsigned char *sx = NULL, *p;
	size_t off, xref;

	/* the last startxref's offset: this update's /Prev */
	for (p = d; (p = memmem(p, n - (size_t)(p - d), "startxref", 9)) != NULL; p++)
		sx = p;
	ck_assert_ptr_nonnull(sx);
	memcpy(b.p, d, n);
	b.n = n;
	off = b.n;
	gb_printf(&b, "%d 0 obj\n%s\nendobj\n", num, body);
	xref = b.n;
	gb_printf(&b,
		  "xref\n0 1\n0000000000 65535 f \n%d 1\n%010zu 00000 n \ntrailer\n<< /Size %lld "
		  "/Root %d 0 R /Prev %lld >>\nstartxref\n%zu\n%%%%EOF\n",
		  num, off, size, root, atoll((const char *)sx + 10), xref);
	*outn = b.n;
	return (unsigned char *)b.p;
}

START_TEST(parent_fields_sharing_their_kids_are_judged_in_linear_time)
{
	static char bodies[LEVELS + 2][KIDS * 12 + 128];
	const char *objs[LEVELS + 2];
	int nums[LEVELS + 2], l, k;
	size_t n, n1, n2, n3, at;
	unsigned char *d, *s, *u, *t;
	char *grown, *signed_form;
	struct crypto_verify_report *r;

	d = vc_base(0, &n);
	s = vc_sign(d, n, "rsa", 1, 0, &n1);
	/* the form's /Fields gains parent 100 */
	nums[0] = 1;
	signed_form = obj_text(s, n1, 1);
	grown = array_append(signed_form, "/Fields [", "100 0 R");
	ck_assert_uint_lt(strlen(grown), sizeof(bodies[0]));
	snprintf(bodies[0], sizeof(bodies[0]), "%s", grown);
	free(grown);
	for (l = 0; l < LEVELS; l++) {
		nums[l + 1] = 100 + l;
		at = (size_t)snprintf(bodies[l + 1], sizeof(bodies[l + 1]), "<< /T (p%d) /Kids [",
				      l);
		for (k = 0; k < KIDS; k++)
			at += (size_t)snprintf(bodies[l + 1] + at, sizeof(bodies[l + 1]) - at,
					       "%d 0 R ", 101 + l);
		snprintf(bodies[l + 1] + at, sizeof(bodies[l + 1]) - at, "] >>");
	}
	/* the last level's one kid: a signature field (its widget invisible) */
	nums[LEVELS + 1] = 100 + LEVELS;
	snprintf(bodies[LEVELS + 1], sizeof(bodies[LEVELS + 1]),
		 "<< /FT /Sig /T (s) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /F 2 "
		 "/Parent %d 0 R >>",
		 100 + LEVELS - 1);
	for (l = 0; l < LEVELS + 2; l++)
		objs[l] = bodies[l];
	u = vc_update(s, n1, nums, objs, LEVELS + 2, 0, NULL, &n2);
	/* and the form as the signature left it again: the final revision's field tree is
	   the signed one, which the listing of signed fields walks within its node cap */
	t = append_one(u, n2, nums[0], signed_form, 1, 100 + LEVELS + 1, &n3);
	r = vc_verify(trust, t, n3);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->nsigs, 1);
	crypto_verify_report_free(r);
	free(d);
	free(s);
	free(u);
	free(t);
	free(signed_form);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto_verify_sig_parent_cost");
	TCase *tc = test_tcase(s, "sig_parent_cost", setup, teardown, 0, 60);

	tcase_add_test(tc, parent_fields_sharing_their_kids_are_judged_in_linear_time);
	return test_suite_run(s);
}
