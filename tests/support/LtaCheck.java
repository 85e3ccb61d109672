/*
 * LtaCheck.java: an independent judge of PAdES B-LTA (ETSI EN 319 142-1
 * §5.4-5.5) with Debian's PDFBox 2 and BouncyCastle, for test_ltv: pdfsig
 * reads no DSS nor document timestamp, and the signature checks of
 * WorldSigner (check-pdfbox) verify each CMS but not whether the file keeps
 * what a validator needs once the responders and certificates are gone.
 *
 *   java LtaCheck IN
 *
 * For each signature, and each document timestamp but the newest: its
 * signer's chain (and a signature timestamp's TSA chain), each certificate up
 * to a self-signed root found in the CMS or the DSS, and a revocation answer
 * for each one below the root (an OCSP response about it whose status is
 * good, or a CRL of its issuer that does not list it), in the /DSS of the
 * revision that a later document timestamp covers (the file as it was just
 * before that timestamp's update). The newest document timestamp needs
 * nothing yet (a renewal adds its data). One line per signature, "lta N
 * signature|doc-timestamp covered=true|false|newest [why]"; exit 1 when any
 * is not covered.
 */
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSObject;
import org.apache.pdfbox.cos.COSStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TimeStampToken;

public class LtaCheck {
	/* A chain to prove: its end certificate and the certificates that came with it. */
	static class Chain {
		X509CertificateHolder leaf;
		List<X509CertificateHolder> pool = new ArrayList<>();
		String what;
	}

	/* A signature or document timestamp in the order of where its signed bytes end. */
	static class Sig {
		long end;
		long contentsAt;
		boolean docTs;
		List<Chain> chains = new ArrayList<>();
	}

	/* A revision's DSS, decoded. */
	static class Dss {
		List<X509CertificateHolder> certs = new ArrayList<>();
		List<BasicOCSPResp> ocsps = new ArrayList<>();
		List<X509CRLHolder> crls = new ArrayList<>();
	}

	static DigestCalculatorProvider digests;

	public static void main(String[] a) throws Exception {
		System.exit(check(a[0]));
	}

	/* The check of one file, its lines on System.out: 0 when every one is covered.
	 * (WorldSigner's serve calls it too: one JVM for all of a test's Java checks.) */
	public static int check(String path) throws Exception {
		Security.addProvider(new BouncyCastleProvider());
		digests = new JcaDigestCalculatorProviderBuilder().setProvider("BC").build();
		byte[] file = Files.readAllBytes(Paths.get(path));
		List<Sig> sigs = new ArrayList<>();
		try (PDDocument doc = PDDocument.load(file)) {
			for (PDSignature s : doc.getSignatureDictionaries())
				sigs.add(read(s, file));
		}
		sigs.sort((x, y) -> Long.compare(x.end, y.end));
		Sig newest = null;
		for (Sig s : sigs)
			if (s.docTs)
				newest = s;
		boolean all = !sigs.isEmpty();
		for (int i = 0; i < sigs.size(); i++) {
			Sig s = sigs.get(i);
			String kind = s.docTs ? "doc-timestamp" : "signature";
			if (s == newest) {
				System.out.printf("lta %d %s covered=newest%n", i + 1, kind);
				continue;
			}
			Sig t = null;
			for (Sig u : sigs)
				if (u.docTs && u.end > s.end) {
					t = u;
					break;
				}
			String why = t == null ? "no document timestamp after it" : null;
			if (why == null) {
				Dss dss = dssBefore(file, t.contentsAt);
				for (Chain c : s.chains)
					if (why == null)
						why = proven(c, dss);
			}
			System.out.printf("lta %d %s covered=%b%s%n", i + 1, kind, why == null,
					  why == null ? "" : " " + why);
			all &= why == null;
		}
		return all ? 0 : 1;
	}

	static Sig read(PDSignature s, byte[] file) throws Exception {
		Sig g = new Sig();
		int[] br = s.getByteRange();
		g.end = (long) br[2] + br[3];
		g.contentsAt = br[1];
		byte[] contents = s.getContents(file);
		if ("ETSI.RFC3161".equals(s.getSubFilter())) {
			g.docTs = true;
			g.chains.add(tsaChain(new TimeStampToken(new CMSSignedData(contents)), "document timestamp"));
			return g;
		}
		CMSSignedData cms = new CMSSignedData(contents);
		SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
		Chain c = new Chain();
		c.what = "signer";
		c.pool.addAll(cms.getCertificates().getMatches(null));
		Collection<X509CertificateHolder> m = cms.getCertificates().getMatches(si.getSID());
		c.leaf = m.iterator().next();
		g.chains.add(c);
		if (si.getUnsignedAttributes() != null &&
		    si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken) != null)
			g.chains.add(tsaChain(new TimeStampToken(new CMSSignedData(
				si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken)
					.getAttrValues().getObjectAt(0).toASN1Primitive().getEncoded())),
					      "signature timestamp"));
		return g;
	}

	@SuppressWarnings("unchecked")
	static Chain tsaChain(TimeStampToken t, String what) {
		Chain c = new Chain();
		c.what = what;
		c.pool.addAll(t.getCertificates().getMatches(null));
		c.leaf = (X509CertificateHolder) t.getCertificates().getMatches(t.getSID()).iterator().next();
		return c;
	}

	/* The DSS of the revision that ends before offset at (the last %%EOF before it). */
	static Dss dssBefore(byte[] file, long at) throws Exception {
		String head = new String(file, 0, (int) at, StandardCharsets.ISO_8859_1);
		int eof = head.lastIndexOf("%%EOF");
		Dss d = new Dss();
		if (eof < 0)
			return d;
		try (PDDocument p = PDDocument.load(Arrays.copyOf(file, eof + 5))) {
			COSBase b = p.getDocumentCatalog().getCOSObject().getDictionaryObject(COSName.getPDFName("DSS"));
			if (!(b instanceof COSDictionary))
				return d;
			COSDictionary dss = (COSDictionary) b;
			for (byte[] x : streams(dss, "Certs"))
				d.certs.add(new X509CertificateHolder(x));
			for (byte[] x : streams(dss, "OCSPs"))
				d.ocsps.add((BasicOCSPResp) new OCSPResp(x).getResponseObject());
			for (byte[] x : streams(dss, "CRLs"))
				d.crls.add(new X509CRLHolder(x));
		}
		return d;
	}

	static List<byte[]> streams(COSDictionary dss, String key) throws Exception {
		List<byte[]> out = new ArrayList<>();
		COSBase b = dss.getDictionaryObject(key);
		if (!(b instanceof COSArray))
			return out;
		for (COSBase e : (COSArray) b) {
			if (e instanceof COSObject)
				e = ((COSObject) e).getObject();
			if (e instanceof COSStream)
				try (InputStream in = ((COSStream) e).createInputStream()) {
					out.add(in.readAllBytes());
				}
		}
		return out;
	}

	/* null when each certificate of c below its root has a revocation answer in d. */
	static String proven(Chain c, Dss d) throws Exception {
		List<X509CertificateHolder> pool = new ArrayList<>(c.pool);
		pool.addAll(d.certs);
		X509CertificateHolder cur = c.leaf;
		for (int depth = 0; depth < 10; depth++) {
			if (cur.getSubject().equals(cur.getIssuer()))
				return null; /* the root: trusted as it is */
			X509CertificateHolder issuer = null;
			for (X509CertificateHolder x : pool)
				if (x.getSubject().equals(cur.getIssuer()))
					issuer = x;
			if (issuer == null)
				return "(" + c.what + ": no issuer of " + cur.getSubject() + ")";
			if (!answered(cur, issuer, d))
				return "(" + c.what + ": no revocation answer for " + cur.getSubject() + ")";
			cur = issuer;
		}
		return "(" + c.what + ": chain too long)";
	}

	static boolean answered(X509CertificateHolder x, X509CertificateHolder issuer, Dss d) throws Exception {
		BigInteger serial = x.getSerialNumber();
		for (BasicOCSPResp r : d.ocsps)
			for (SingleResp s : r.getResponses())
				if (s.getCertID().getSerialNumber().equals(serial) &&
				    s.getCertID().matchesIssuer(issuer, digests) && s.getCertStatus() == null)
					return true;
		for (X509CRLHolder crl : d.crls)
			if (crl.getIssuer().equals(x.getIssuer()) && crl.getRevokedCertificate(serial) == null)
				return true;
		return false;
	}
}
