/*
 * test_server_names_alike.c (review44): names.c's comparison key against
 * names that show alike, beyond the ones sec43's test tried.
 *
 * api_name_forms() promises a key "equal for names that show alike":
 * NFKC, the UTS #39 skeleton, case folded, white space collapsed; migration
 * 054 keeps it unique, so a certificate whose O has the key of a registered
 * organization is 409 organization_name_taken. Two gaps:
 *
 * - case: the skeleton is taken before the folding, and it maps the capital
 *   "I" to "l" where the small "i" stays "i", so "INTERNATIONAL TRADE CO" is
 *   not "International Trade Co" nor "ALIBABA GROUP" "Alibaba Group" (any
 *   name with a small i), where "BUYERCO LTD" is "BuyerCo Ltd"
 *   (integration.test_attacks_names refuses another case as a look-alike);
 * - characters shown as nothing that 052's list (sp_text_cp_invisible) does
 *   not refuse and neither NFKC nor ICU 72's skeleton removes: a variation
 *   selector (U+FE0F, U+E0100), and the braille blank U+2800, which shows
 *   as a space and is not white space to ICU.
 *
 * The first case of each pair is the registered name, the second the one
 * that must get the same key.
 */
#include <check.h>
#include <string.h>

#include "api.h"
#include "support_suite.h"

static void
key_of(const char *name, char *key, char *key2, size_t cap)
{
	char nfc[1024];

	ck_assert_msg(api_name_forms(name, nfc, sizeof(nfc), key, key2, cap) == SP_OK, "%s", name);
	/* passes the login's own check of the O (auth.c: api_text_visible) */
	ck_assert_msg(api_text_visible(name, strlen(name)), "%s refused as invisible", name);
}

static void
same_key(const char *a, const char *b)
{
	char ka[API_NAME_KEY_MAX], kb[API_NAME_KEY_MAX], ka2[API_NAME_KEY_MAX],
		kb2[API_NAME_KEY_MAX];

	key_of(a, ka, ka2, sizeof(ka));
	key_of(b, kb, kb2, sizeof(kb));
	/* a key of one is a key of the other (migration 062 compares all four) */
	ck_assert_msg(!strcmp(ka, kb) || !strcmp(ka2, kb2) || !strcmp(ka, kb2) || !strcmp(ka2, kb),
		      "\"%s\" (keys \"%s\", \"%s\") and \"%s\" (keys \"%s\", \"%s\") show alike", a,
		      ka, ka2, b, kb, kb2);
}

/* Control: what sec43's test refuses gets the same key here too. */
START_TEST(the_cases_sec43_tried)
{
	same_key("BuyerCo Ltd", "BUYERCO LTD");
	same_key("BuyerCo Ltd", "buyerco ltd");
	same_key("BuyerCo Ltd", "\u0412uyerCo Ltd");
	same_key("BuyerCo Ltd", "BuyerCo\u00a0Ltd");
}
END_TEST

static const char *const cases[][2] = {
	{ "International Trade Co", "INTERNATIONAL TRADE CO" },
	{ "Alibaba Group", "ALIBABA GROUP" },
	{ "BuyerCo Ltd", "BuyerCo\ufe0f Ltd" },
	{ "BuyerCo Ltd", "BuyerCo\U000e0100 Ltd" },
	{ "BuyerCo Ltd", "BuyerCo\u2800Ltd" },
	{ "Ilya Co", "llya Co" }, /* a capital I, small Ls */
	{ "Ilya Co", "ILYA CO" },
};

/* Names that do not show alike keep apart: no key of one is a key of the other. */
static const char *const apart[][2] = {
	{ "Lily Co", "Iiiy Co" },
	{ "Ilya Co", "Liya Co" },
	{ "Alibaba Group", "Alibaba Grove" },
	{ "北京华为科技有限公司", "北京华力科技有限公司" },
	{ "上海宝钢股份有限公司", "上海宝山股份有限公司" },
};

START_TEST(names_that_do_not_show_alike_keep_apart)
{
	char ka[API_NAME_KEY_MAX], kb[API_NAME_KEY_MAX], ka2[API_NAME_KEY_MAX],
		kb2[API_NAME_KEY_MAX];
	const char *a = apart[_i][0], *b = apart[_i][1];

	key_of(a, ka, ka2, sizeof(ka));
	key_of(b, kb, kb2, sizeof(kb));
	ck_assert_msg(strcmp(ka, kb) != 0 && strcmp(ka2, kb2) != 0 && strcmp(ka, kb2) != 0 &&
			      strcmp(ka2, kb) != 0,
		      "\"%s\" and \"%s\" share a key", a, b);
}
END_TEST

START_TEST(names_that_show_alike_have_one_key)
{
	same_key(cases[_i][0], cases[_i][1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server_names_alike");
	TCase *tc = test_tcase(s, "names", NULL, NULL, 0, 30);

	tcase_add_test(tc, the_cases_sec43_tried);
	tcase_add_loop_test(tc, names_that_show_alike_have_one_key, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, names_that_do_not_show_alike_keep_apart, 0,
			    (int)(sizeof(apart) / sizeof(apart[0])));
	return test_suite_run(s);
}
