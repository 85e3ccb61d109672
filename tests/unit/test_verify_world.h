/*
 * test_verify_world.h: the fixture test_verify_world.c and test_verify_java.c
 * share: the PKI and trust of test_verify_corpus.h, a 10-page contract, the
 * verifier with that trust, and the check that a file is valid both here and
 * for the independent validators (pdfsig, qpdf --check). Header-only (static,
 * its state TEST_SHARED: support_part.h) because each test is its own executable.
 */
#ifndef TEST_VERIFY_WORLD_H
#define TEST_VERIFY_WORLD_H

#include <check.h>

#include "test_verify_writer.h"
#include "verify_int.h"

TEST_SHARED struct crypto_trust *trust;
TEST_SHARED unsigned char *base;
TEST_SHARED size_t base_len;

/* The PKI, its root as the only trust, the contract. */
VC_FN void
world_setup(void)
{
	ck_assert_ptr_nonnull(trust = vc_pki_trust());
	base = vc_base(0, &base_len);
}

/* An Ed25519 and an Ed448 signer under the root (ed, ed448; OpenSSL 3.0's CMS cannot verify
   EdDSA), and another key of each kind (ed_other, ed448_other) that no certificate names. */
VC_FN void
world_eddsa_signers(void)
{
	ck_assert_int_eq(run("cd %s && ( s=8; for k in ed:ed25519 ed448:ed448; do s=$((s + 1)); "
			     "openssl genpkey -algorithm ${k#*:} -out ${k%%:*}.key && "
			     "openssl genpkey -algorithm ${k#*:} -out ${k%%:*}_other.key && "
			     "openssl req -new -key ${k%%:*}.key -out ${k%%:*}.csr "
			     "-subj \"/CN=${k%%:*} signer/O=Org E\" && openssl x509 -req -in "
			     "${k%%:*}.csr "
			     "-CA ca.pem -CAkey ca.key -set_serial $s -days 20 -extfile leaf.ext "
			     "-out ${k%%:*}.pem || exit 1; done ) >>pki.log 2>&1",
			     vc_dir),
			 0);
}

VC_FN void
world_teardown(void)
{
	crypto_trust_free(trust);
	free(base);
	vc_pki_free();
}

VC_FN struct crypto_verify_report *
verify(const unsigned char *d, size_t n)
{
	struct crypto_verify_report *r = vc_verify(trust, d, n);

	ck_assert_ptr_nonnull(r);
	return r;
}

/* Every signature valid (the last unchanged, earlier ones with allowed changes only). */
VC_FN void
assert_valid(const unsigned char *d, size_t n, size_t nsigs, const char *name)
{
	struct crypto_verify_report *r = verify(d, n);
	size_t i, m;
	char *out;

	write_file(vc_path(name), d, n);
	ck_assert_msg(r->nsigs == nsigs, "%s: %zu signatures", name, r->nsigs);
	for (i = 0; i < r->nsigs; i++) {
		ck_assert_msg(r->sigs[i].verdict == CRYPTO_VERDICT_VALID ||
				      r->sigs[i].verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
			      "%s: signature %zu %s: %s", name, i,
			      crypto_verdict_name(r->sigs[i].verdict), r->sigs[i].message);
		ck_assert_uint_eq(r->sigs[i].ndisallowed, 0);
		ck_assert_int_eq(r->sigs[i].digest_ok, 1);
		ck_assert_int_eq(r->sigs[i].signature_ok, 1);
	}
	ck_assert_msg(r->verdict == CRYPTO_VERDICT_VALID ||
			      r->verdict == CRYPTO_VERDICT_VALID_ALLOWED_CHANGES,
		      "%s: %s %s", name, crypto_verdict_name(r->verdict), r->message);
	crypto_verify_report_free(r);
	/* the independent validators agree: every signature intact, the file sound */
	(void)run("cd %s && pdfsig -nssdir sql:nss %s >pdfsig.txt 2>&1", vc_dir, name);
	out = (char *)read_file(vc_path("pdfsig.txt"), &m);
	for (i = 0; i < nsigs; i++) {
		char *p = strstr(out, "Signature Validation: ");
		ck_assert_msg(p && !strncmp(p + 22, "Signature is Valid", 18), "%s: pdfsig: %s",
			      name, out);
		memset(p, '-', 10);
	}
	free(out);
	/* qpdf exits 3 on a warning: only for the file built with its whitespace warning */
	i = (size_t)run("qpdf --check %s >/dev/null 2>&1", vc_path(name));
	ck_assert_msg(i == 0 || (i == 3 && strstr(name, "_ws")), "%s: qpdf --check %zu", name, i);
}

VC_FN unsigned char *
qpdf_tool(const unsigned char *d, size_t n, const char *args, size_t *outn)
{
	write_file(vc_path("in.pdf"), d, n);
	ck_assert_int_eq(run("qpdf %s %s %s", args, vc_path("in.pdf"), vc_path("out.pdf")), 0);
	return read_file(vc_path("out.pdf"), outn);
}

#endif
