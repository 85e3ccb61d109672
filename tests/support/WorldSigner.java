/*
 * WorldSigner.java: sign a PDF the way two of the world's most used Java
 * libraries do, for test_verify_world: iText 5 (PdfStamper in append mode,
 * MakeSignature, a visible widget, optionally a certification signature) and
 * Apache PDFBox 2 (saveIncremental with a BouncyCastle CMS). Both are
 * Debian's packages (libitext5-java, libpdfbox2-java, libbcpkix-java).
 *
 *   java WorldSigner itext  IN OUT KEY.p12 PASS FIELD [certify|owner=PASSWORD|crl=FILE]
 *   java WorldSigner pdfbox IN OUT KEY.p12 PASS FIELD cades|cades-st|cades-pss|cades-nom|pkcs7|
 *                                                     x509|x509-256|x509-rev
 *   java WorldSigner check-itext|check-pdfbox IN
 *   java WorldSigner check-lta IN     (LtaCheck.java's, compiled beside this one)
 *   java WorldSigner stamp IN OUT OWNER-PASSWORD|-
 *   java WorldSigner pdfbox-gm IN OUT KEY.pem CERT.pem [sm2-1]
 *   java WorldSigner pdfbox-docts|itext-docts IN OUT TSA-SCRIPT
 *   java WorldSigner itext-ltv IN OUT CRL [xmp|title|stamp|field|meta]
 *   java WorldSigner serve CMD RC PID
 *
 * serve is one JVM for many of these commands (test_verify_java made some 20
 * calls, and a JVM's start with iText, PDFBox and BouncyCastle loading was
 * seconds of each on a loaded machine): it reads a line "OUT ARGS..." from the
 * FIFO CMD, runs the command ARGS with its output appended to the file OUT,
 * writes its exit status as a line to the FIFO RC, and again, until a line
 * "quit" or until process PID (its client) has ended.
 *
 * The checks are a second and third pair of eyes besides poppler's pdfsig,
 * which cannot check a document timestamp: every signature and document
 * timestamp as iText 5 verifies it (PdfPKCS7: the digest over the byte
 * ranges, the signature value, a signature timestamp's imprint; iText 5 knows
 * RSA signatures, not the ecdsa-with-SHA256 algorithm identifier RFC 5754
 * has CMS use), or as PDFBox reads it with BouncyCastle verifying the CMS
 * (a signature timestamp's and a document timestamp's imprint and token
 * signature too). One line per signature; exit 1 when any fails. stamp is
 * an unsigned iText update that writes on page 1 (what a signature must not
 * allow), encrypted as the file is. pdfbox-gm signs with an SM2 key the way
 * Chinese tools following GM/T 0010-2012 do: SM3withSM2 through BouncyCastle,
 * adbe.pkcs7.detached, the SignedData under GM/T 0010's own content types
 * (signedData 1.2.156.10197.6.1.4.2.2, data 1.2.156.10197.6.1.4.2.1).
 * pdfbox-docts and itext-docts add a document timestamp (ETSI.RFC3161,
 * /Type /DocTimeStamp) as each library writes one, PDFBox's with its
 * PDSignature, iText's with LtvTimestamp; the token comes from the shell
 * script TSA-SCRIPT (run by sh), which gets the SHA-256 of the signed bytes
 * in hex as $1 and writes the RFC 3161 TimeStampToken (DER) to stdout.
 * itext-ltv adds, as iText 5's LtvVerification writes it, a DSS with a /VRI
 * entry for every signature and document timestamp, each with the CRL file
 * CRL (DER) for every certificate of its chain (iText names a document
 * timestamp's entry by the SHA-1 of its token without the zero padding).
 *
 * pdfbox's kinds: cades is ETSI.CAdES.detached with the ESS
 * signing-certificate-v2 attribute and no signing-time (PAdES baseline B);
 * cades-st the same with BouncyCastle's default signing-time attribute, which
 * PAdES baseline forbids; cades-pss is cades signed with RSASSA-PSS (SHA-256,
 * MGF1); cades-nom is cades without the dictionary's /M, which PAdES requires; pkcs7 is adbe.pkcs7.detached with BouncyCastle's
 * defaults (what PDFBox's own CreateSignature example writes).
 */
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.File;
import java.io.FileReader;
import java.io.FileWriter;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Calendar;
import java.util.Collection;
import java.util.List;
import java.util.Hashtable;
import java.util.Map;

import com.itextpdf.text.Rectangle;
import com.itextpdf.text.pdf.AcroFields;
import com.itextpdf.text.pdf.PdfReader;
import com.itextpdf.text.pdf.PdfSignatureAppearance;
import com.itextpdf.text.pdf.PdfStamper;
import com.itextpdf.text.pdf.security.BouncyCastleDigest;
import com.itextpdf.text.pdf.security.ExternalSignature;
import com.itextpdf.text.pdf.security.MakeSignature;
import com.itextpdf.text.pdf.security.PdfPKCS7;
import com.itextpdf.text.pdf.security.PrivateKeySignature;

import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureOptions;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

public class WorldSigner {
	private static PrivateKey key;
	private static Certificate[] chain;

	public static void main(String[] a) throws Exception {
		if (a.length == 4 && a[0].equals("serve")) {
			serve(a[1], a[2], Long.parseLong(a[3]));
			return;
		}
		System.exit(run(a));
	}

	private static void serve(String cmd, String rc, long client) throws Exception {
		Thread watch = new Thread(() -> {
			while (ProcessHandle.of(client).map(ProcessHandle::isAlive).orElse(false)) {
				try {
					Thread.sleep(1000);
				} catch (InterruptedException e) {
					return;
				}
			}
			System.exit(0); /* even while waiting to open CMD */
		});
		watch.setDaemon(true);
		watch.start();
		PrintStream out = System.out, err = System.err;
		for (;;) {
			String line;
			try (BufferedReader r = new BufferedReader(new FileReader(cmd))) {
				line = r.readLine();
			}
			if (line == null || line.isBlank())
				continue;
			if (line.equals("quit"))
				return;
			String[] w = line.trim().split(" +");
			int status;
			try (PrintStream o = new PrintStream(new FileOutputStream(w[0], true), true)) {
				System.setOut(o);
				System.setErr(o);
				try {
					status = run(Arrays.copyOfRange(w, 1, w.length));
				} catch (Throwable t) {
					t.printStackTrace();
					status = 1;
				} finally {
					System.setOut(out);
					System.setErr(err);
				}
			}
			try (PrintWriter p = new PrintWriter(new FileWriter(rc))) {
				p.println(status);
			}
		}
	}

	/* One command (see the top of the file): its exit status. */
	private static int run(String[] a) throws Exception {
		/* LtaCheck's check when it was compiled beside this (harness.JavaJudge):
		 * found at run time, so that this file compiles alone (test_verify_java) */
		if (a.length == 2 && a[0].equals("check-lta"))
			return (Integer)Class.forName("LtaCheck").getMethod("check", String.class)
				.invoke(null, a[1]);
		if (a.length == 2 && a[0].startsWith("check-")) {
			Security.addProvider(new BouncyCastleProvider());
			return (a[0].equals("check-itext") ? itextCheck(a[1]) : pdfboxCheck(a[1])) ? 0 : 1;
		}
		if ((a.length == 5 || a.length == 6) && a[0].equals("pdfbox-gm")) {
			Security.addProvider(new BouncyCastleProvider());
			gmSign(a[1], a[2], a[3], a[4], a.length == 6 && a[5].equals("sm2-1"));
			return 0;
		}
		if (a.length == 4 && a[0].endsWith("-docts")) {
			if (a[0].equals("pdfbox-docts"))
				pdfboxDocTs(a[1], a[2], a[3]);
			else
				itextDocTs(a[1], a[2], a[3]);
			return 0;
		}
		if ((a.length == 4 || a.length == 5) && a[0].equals("itext-ltv")) {
			Security.addProvider(new BouncyCastleProvider());
			itextLtv(a[1], a[2], a[3], a.length == 5 ? a[4] : "");
			return 0;
		}
		if (a.length == 4 && a[0].equals("stamp")) {
			stamp(a[1], a[2], a[3].equals("-") ? null : a[3]);
			return 0;
		}
		if (a.length < 6) {
			System.err.println("usage: WorldSigner itext|pdfbox IN OUT KEY.p12 PASS FIELD [KIND]");
			return 2;
		}
		Security.addProvider(new BouncyCastleProvider());
		KeyStore ks = KeyStore.getInstance("PKCS12");
		try (InputStream in = new FileInputStream(a[3])) {
			ks.load(in, a[4].toCharArray());
		}
		String alias = ks.aliases().nextElement();
		key = (PrivateKey) ks.getKey(alias, a[4].toCharArray());
		chain = ks.getCertificateChain(alias);
		String kind = a.length > 6 ? a[6] : "";
		if (a[0].equals("itext"))
			itext(a[1], a[2], a[5], kind.equals("certify"),
			      kind.startsWith("owner=") ? kind.substring(6) : null,
			      kind.startsWith("crl=") ? kind.substring(4) : null);
		else if (a[0].equals("pdfbox"))
			pdfbox(a[1], a[2], a[5], kind);
		else
			throw new IllegalArgumentException("unknown signer " + a[0]);
		return 0;
	}

	private static String digestName() {
		return key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
	}

	/*
	 * iText 5: an incremental update (append mode) with a visible widget on page 1;
	 * an encrypted file opened with its owner password stays encrypted; a CRL
	 * given goes into the signature's adbe-revocationInfoArchival attribute.
	 */
	private static void itext(String in, String out, String field, boolean certify, String owner,
				  String crl) throws Exception {
		PdfReader reader = owner != null ? new PdfReader(in, owner.getBytes()) : new PdfReader(in);
		try (FileOutputStream os = new FileOutputStream(out)) {
			PdfStamper stamper = PdfStamper.createSignature(reader, os, '\0', null, true);
			PdfSignatureAppearance app = stamper.getSignatureAppearance();
			app.setReason("iText countersignature");
			app.setLocation("Shanghai");
			app.setVisibleSignature(new Rectangle(300, 40, 500, 90), 1, field);
			if (certify)
				app.setCertificationLevel(PdfSignatureAppearance.CERTIFIED_FORM_FILLING);
			ExternalSignature sig = new PrivateKeySignature(key, "SHA-256", null);
			java.util.List<com.itextpdf.text.pdf.security.CrlClient> crls = null;
			if (crl != null)
				crls = java.util.Collections.singletonList(
					new com.itextpdf.text.pdf.security.CrlClientOffline(
						Files.readAllBytes(Paths.get(crl))));
			MakeSignature.signDetached(app, new BouncyCastleDigest(), sig, chain, crls, null,
						   null, 0, MakeSignature.CryptoStandard.CADES);
		}
		reader.close();
	}

	/* PDFBox with a GM/T 0010 SignedData over SM3withSM2. */
	private static void gmSign(String in, String out, String keyPem, String certPem, boolean sm21)
		throws Exception {
		Object k;
		try (org.bouncycastle.openssl.PEMParser pp =
			     new org.bouncycastle.openssl.PEMParser(new java.io.FileReader(keyPem))) {
			k = pp.readObject();
		}
		PrivateKey gmKey = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter().setProvider("BC")
			.getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) k);
		X509Certificate cert;
		try (InputStream cin = new FileInputStream(certPem)) {
			cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509", "BC")
				.generateCertificate(cin);
		}
		pdfboxSign(in, out, PDSignature.SUBFILTER_ADBE_PKCS7_DETACHED, "gm", true, signed -> {
			CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
			org.bouncycastle.operator.DigestCalculatorProvider dp =
				new JcaDigestCalculatorProviderBuilder().setProvider("BC").build();
			gen.addSignerInfoGenerator((sm21 ? new JcaSignerInfoGeneratorBuilder(dp, WorldSigner::sm21)
							 : new JcaSignerInfoGeneratorBuilder(dp))
				.build(new JcaContentSignerBuilder("SM3withSM2").setProvider("BC").build(gmKey), cert));
			gen.addCertificates(new JcaCertStore(Arrays.asList(cert)));
			CMSSignedData sd = gen.generate(new CMSProcessableByteArray(
				new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.2.156.10197.6.1.4.2.1"), signed), false);
			return new org.bouncycastle.asn1.cms.ContentInfo(
				new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.2.156.10197.6.1.4.2.2"),
				sd.toASN1Structure().getContent()).getEncoded("DER");
		});
	}

	/*
	 * The same SM2 signature named as many Chinese tools name it: GM/T 0006's
	 * SM2-1 signature algorithm (1.2.156.10197.1.301.1) instead of
	 * SM2-with-SM3 (1.2.156.10197.1.501); the digest stays SM3.
	 */
	private static org.bouncycastle.asn1.x509.AlgorithmIdentifier sm21(
		org.bouncycastle.asn1.x509.AlgorithmIdentifier signer) {
		return new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
			new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.2.156.10197.1.301.1"));
	}

	/* The TimeStampToken the script tsa (sh, $1 the digest in hex) answers for digest. */
	private static byte[] tsaToken(String tsa, byte[] digest) throws Exception {
		StringBuilder hex = new StringBuilder();
		for (byte b : digest)
			hex.append(String.format("%02x", b));
		Process p = new ProcessBuilder("sh", tsa, hex.toString())
			.redirectError(ProcessBuilder.Redirect.INHERIT).start();
		p.getOutputStream().close();
		byte[] tok = p.getInputStream().readAllBytes();
		if (p.waitFor() != 0 || tok.length == 0)
			throw new java.io.IOException("the TSA script failed");
		return tok;
	}

	/* PDFBox 2: a document timestamp as an incremental update (no field name of ours). */
	private static void pdfboxDocTs(String in, String out, String tsa) throws Exception {
		try (PDDocument doc = PDDocument.load(new File(in))) {
			PDSignature s = new PDSignature();
			s.setType(org.apache.pdfbox.cos.COSName.DOC_TIME_STAMP);
			s.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
			s.setSubFilter(org.apache.pdfbox.cos.COSName.getPDFName("ETSI.RFC3161"));
			SignatureOptions o = new SignatureOptions();
			o.setPreferredSignatureSize(16384);
			doc.addSignature(s, content -> {
				try {
					return tsaToken(tsa, MessageDigest.getInstance("SHA-256")
								     .digest(content.readAllBytes()));
				} catch (java.io.IOException e) {
					throw e;
				} catch (Exception e) {
					throw new java.io.IOException(e);
				}
			}, o);
			try (FileOutputStream os = new FileOutputStream(out)) {
				doc.saveIncremental(os);
			}
			o.close();
		}
	}

	/* iText 5: LtvTimestamp's document timestamp, its TSA client the command. */
	private static void itextDocTs(String in, String out, String tsa) throws Exception {
		PdfReader reader = new PdfReader(in);
		try (FileOutputStream os = new FileOutputStream(out)) {
			PdfStamper stamper = PdfStamper.createSignature(reader, os, '\0', null, true);
			com.itextpdf.text.pdf.security.TSAClient client =
				new com.itextpdf.text.pdf.security.TSAClient() {
					public int getTokenSizeEstimate() {
						return 8192;
					}

					public MessageDigest getMessageDigest()
						throws java.security.GeneralSecurityException {
						return MessageDigest.getInstance("SHA-256");
					}

					public byte[] getTimeStampToken(byte[] imprint) throws Exception {
						return tsaToken(tsa, imprint);
					}
				};
			com.itextpdf.text.pdf.security.LtvTimestamp.timestamp(
				stamper.getSignatureAppearance(), client, null);
		}
		reader.close();
	}

	/*
	 * iText 5: a DSS and its /VRI entries for every signature, the CRL for each
	 * certificate. extra, in the same update: "xmp" XMP metadata made from /Info
	 * (as Acrobat's LTV enable saves it), "title" a new /Info /Title, "stamp"
	 * text over page 1, "field" an empty invisible signature field; "meta" the
	 * /Info /Title alone, without the DSS.
	 */
	private static void itextLtv(String in, String out, String crl, String extra)
		throws Exception {
		PdfReader reader = new PdfReader(in);
		try (FileOutputStream os = new FileOutputStream(out)) {
			PdfStamper stamper = new PdfStamper(reader, os, '\0', true);
			if (extra.equals("xmp"))
				stamper.createXmpMetadata();
			if (extra.equals("title") || extra.equals("meta")) {
				java.util.HashMap<String, String> info = reader.getInfo();
				info.put("Title", "Contract, LTV enabled");
				stamper.setMoreInfo(info);
			}
			if (extra.equals("stamp"))
				writeOnPage1(stamper);
			if (extra.equals("field"))
				stamper.addSignature("later", 1, 0, 0, 0, 0);
			if (extra.equals("meta")) {
				stamper.close();
				reader.close();
				return;
			}
			com.itextpdf.text.pdf.security.LtvVerification v = stamper.getLtvVerification();
			com.itextpdf.text.pdf.security.CrlClient crls =
				new com.itextpdf.text.pdf.security.CrlClientOffline(
					Files.readAllBytes(Paths.get(crl)));
			for (String name : stamper.getAcroFields().getSignatureNames())
				v.addVerification(name, null, crls,
						  com.itextpdf.text.pdf.security.LtvVerification.CertificateOption.WHOLE_CHAIN,
						  com.itextpdf.text.pdf.security.LtvVerification.Level.CRL,
						  com.itextpdf.text.pdf.security.LtvVerification.CertificateInclusion.YES);
			stamper.close();
		}
		reader.close();
	}

	/* An unsigned incremental update: text over page 1's content. */
	private static void stamp(String in, String out, String owner) throws Exception {
		PdfReader reader = owner != null ? new PdfReader(in, owner.getBytes()) : new PdfReader(in);
		try (FileOutputStream os = new FileOutputStream(out)) {
			PdfStamper stamper = new PdfStamper(reader, os, '\0', true);
			writeOnPage1(stamper);
			stamper.close();
		}
		reader.close();
	}

	/* Text over page 1's content, in stamper's update. */
	private static void writeOnPage1(PdfStamper stamper) throws Exception {
		com.itextpdf.text.pdf.PdfContentByte over = stamper.getOverContent(1);
		over.beginText();
		over.setFontAndSize(com.itextpdf.text.pdf.BaseFont.createFont(), 12);
		over.setTextMatrix(72, 400);
		over.showText("Amount: 999,999 EUR");
		over.endText();
	}

	/* The signed attributes: BouncyCastle's defaults, less signing-time unless asked. */
	private static final class Attrs extends DefaultSignedAttributeTableGenerator {
		private final boolean signingTime;

		Attrs(AttributeTable extra, boolean signingTime) {
			super(extra);
			this.signingTime = signingTime;
		}

		@Override
		@SuppressWarnings("rawtypes")
		protected Hashtable createStandardAttributeTable(Map parameters) {
			Hashtable t = super.createStandardAttributeTable(parameters);
			if (!signingTime)
				t.remove(CMSAttributes.signingTime);
			return t;
		}
	}

	private static byte[] cms(byte[] signed, String kind) throws Exception {
		X509Certificate cert = (X509Certificate) chain[0];
		JcaSignerInfoGeneratorBuilder b =
			new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build());
		if (kind.startsWith("cades")) {
			byte[] h = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
			ASN1EncodableVector v = new ASN1EncodableVector();
			v.add(new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
					    new DERSet(new SigningCertificateV2(new ESSCertIDv2(h)))));
			b.setSignedAttributeGenerator(new Attrs(new AttributeTable(v),
								kind.equals("cades-st")));
		}
		CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
		JcaContentSignerBuilder sb = kind.endsWith("-pss")
			? new JcaContentSignerBuilder("SHA256withRSAandMGF1").setProvider("BC")
			: new JcaContentSignerBuilder(digestName());
		gen.addSignerInfoGenerator(b.build(sb.build(key), cert));
		gen.addCertificates(new JcaCertStore(Arrays.asList(chain)));
		return gen.generate(new CMSProcessableByteArray(signed), false).getEncoded();
	}

	/* What builds a CMS over the signed bytes (may throw anything). */
	private interface CmsMaker {
		byte[] make(byte[] signed) throws Exception;
	}

	/* PDFBox 2: a signature (invisible), saved as an incremental update. */
	private static void pdfboxSign(String in, String out, org.apache.pdfbox.cos.COSName subFilter, String name,
				       boolean signDate, CmsMaker maker) throws Exception {
		pdfboxSign(in, out, subFilter, name, signDate, null, maker);
	}

	/* The same with the dictionary's /Cert (adbe.x509.rsa_sha1), unless null. */
	private static void pdfboxSign(String in, String out, org.apache.pdfbox.cos.COSName subFilter, String name,
				       boolean signDate, org.apache.pdfbox.cos.COSBase cert, CmsMaker maker)
		throws Exception {
		try (PDDocument doc = PDDocument.load(new File(in))) {
			PDSignature s = new PDSignature();
			s.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
			s.setSubFilter(subFilter);
			s.setName(name);
			s.setReason("PDFBox countersignature");
			if (signDate)
				s.setSignDate(Calendar.getInstance());
			if (cert != null)
				s.getCOSObject().setItem(org.apache.pdfbox.cos.COSName.CERT, cert);
			SignatureOptions o = new SignatureOptions();
			o.setPreferredSignatureSize(16384);
			doc.addSignature(s, content -> {
				try {
					ByteArrayOutputStream buf = new ByteArrayOutputStream();
					content.transferTo(buf);
					return maker.make(buf.toByteArray());
				} catch (java.io.IOException e) {
					throw e;
				} catch (Exception e) {
					throw new java.io.IOException(e);
				}
			}, o);
			try (FileOutputStream os = new FileOutputStream(out)) {
				doc.saveIncremental(os);
			}
			o.close();
		}
	}

	/* PDFBox 2 with one of the three kinds of CMS. */
	private static void pdfbox(String in, String out, String field, String kind) throws Exception {
		if (kind.startsWith("x509"))
			x509(in, out, field, kind);
		else
			pdfboxSign(in, out,
			   kind.startsWith("cades") ? PDSignature.SUBFILTER_ETSI_CADES_DETACHED
						    : PDSignature.SUBFILTER_ADBE_PKCS7_DETACHED,
			   field, !kind.endsWith("-nom"), signed -> cms(signed, kind));
	}

	/*
	 * adbe.x509.rsa_sha1 (ISO 32000-1 12.8.3.2, Acrobat's oldest kind): /Contents
	 * is the DER OCTET STRING of a PKCS #1 v1.5 signature over the byte ranges,
	 * /Cert the signer's certificate (x509: one string, SHA-1) or the chain, the
	 * signer's first (x509-256: an array, SHA-256).
	 */
	private static void x509(String in, String out, String field, String kind) throws Exception {
		org.apache.pdfbox.cos.COSBase cert;
		if (kind.equals("x509")) {
			cert = new org.apache.pdfbox.cos.COSString(chain[0].getEncoded());
		} else {
			/* x509-rev: the chain root first, not the signer (what must not verify) */
			org.apache.pdfbox.cos.COSArray a = new org.apache.pdfbox.cos.COSArray();
			for (int i = 0; i < chain.length; i++)
				a.add(new org.apache.pdfbox.cos.COSString(
					chain[kind.equals("x509-rev") ? chain.length - 1 - i : i].getEncoded()));
			cert = a;
		}
		pdfboxSign(in, out, org.apache.pdfbox.cos.COSName.ADBE_X509_RSA_SHA1, field, true, cert,
			   signed -> {
				   java.security.Signature sg = java.security.Signature.getInstance(
					   kind.equals("x509") ? "SHA1withRSA" : "SHA256withRSA");
				   sg.initSign(key);
				   sg.update(signed);
				   return new org.bouncycastle.asn1.DEROctetString(sg.sign()).getEncoded();
			   });
	}

	/* iText 5's verification of every signature and document timestamp. */
	private static boolean itextCheck(String in) throws Exception {
		PdfReader reader = new PdfReader(in);
		AcroFields af = reader.getAcroFields();
		boolean all = true;
		List<String> names = af.getSignatureNames();
		for (String name : names) {
			PdfPKCS7 pk;
			try {
				pk = af.verifySignature(name, "BC");
			} catch (com.itextpdf.text.ExceptionConverter e) {
				Exception c = e; /* iText wraps its converters in converters */
				while (c instanceof com.itextpdf.text.ExceptionConverter)
					c = ((com.itextpdf.text.ExceptionConverter) c).getException();
				if (!(c instanceof java.security.NoSuchAlgorithmException))
					throw e;
				System.out.printf("itext %s unsupported-algorithm%n", name);
				continue;
			}
			boolean ok = pk.verify();
			boolean ts = pk.isTsp() || pk.getTimeStampToken() == null || pk.verifyTimestampImprint();
			System.out.printf("itext %s %s revision %d/%d whole=%b verify=%b timestamp=%b%n", name,
					  pk.isTsp() ? "doc-timestamp" : "signature", af.getRevision(name),
					  af.getTotalRevisions(), af.signatureCoversWholeDocument(name), ok, ts);
			all &= ok && ts;
		}
		reader.close();
		if (names.isEmpty())
			System.out.println("itext: no signature");
		return all && !names.isEmpty();
	}

	/* PDFBox's reading of every signature, BouncyCastle's verification of its CMS. */
	@SuppressWarnings("unchecked")
	private static boolean pdfboxCheck(String in) throws Exception {
		byte[] file = Files.readAllBytes(Paths.get(in));
		boolean all = true;
		int n = 0;
		try (PDDocument doc = PDDocument.load(file)) {
			for (PDSignature sig : doc.getSignatureDictionaries()) {
				byte[] signed = sig.getSignedContent(file), contents = sig.getContents(file);
				boolean ok;
				String what;
				if ("ETSI.RFC3161".equals(sig.getSubFilter())) {
					TimeStampToken t = new TimeStampToken(new CMSSignedData(contents));
					byte[] h = MessageDigest.getInstance(t.getTimeStampInfo().getMessageImprintAlgOID().getId())
							   .digest(signed);
					X509CertificateHolder c = (X509CertificateHolder) t.getCertificates()
						.getMatches(t.getSID()).iterator().next();
					t.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(c));
					ok = Arrays.equals(h, t.getTimeStampInfo().getMessageImprintDigest());
					what = "doc-timestamp";
				} else {
					CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(signed), contents);
					SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
					Collection<X509CertificateHolder> cs = cms.getCertificates().getMatches(si.getSID());
					ok = si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC")
							       .build(cs.iterator().next()));
					if (si.getUnsignedAttributes() != null &&
					    si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken) != null) {
						TimeStampToken t = new TimeStampToken(new CMSSignedData(
							si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken)
								.getAttrValues().getObjectAt(0).toASN1Primitive().getEncoded()));
						X509CertificateHolder c = (X509CertificateHolder) t.getCertificates()
							.getMatches(t.getSID()).iterator().next();
						t.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(c));
						byte[] h = MessageDigest.getInstance(
							t.getTimeStampInfo().getMessageImprintAlgOID().getId()).digest(si.getSignature());
						ok &= Arrays.equals(h, t.getTimeStampInfo().getMessageImprintDigest());
					}
					what = "signature";
				}
				System.out.printf("pdfbox %d %s %s verify=%b%n", n + 1, what, sig.getSubFilter(), ok);
				all &= ok;
				n++;
			}
		}
		if (n == 0)
			System.out.println("pdfbox: no signature");
		return all && n > 0;
	}
}
