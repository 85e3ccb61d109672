/*
 * npm_signer.js MODE IN OUT P12 PASSWORD: sign IN as the JavaScript world
 * does, with the npm packages deploy/npm.sh installs (tests/integration/
 * test_world_writers.py runs it with NODE_PATH=deploy/npm/node_modules):
 *   plain   @signpdf/placeholder-plain appends the signature field in an
 *           incremental update, @signpdf/signpdf fills it (adbe.pkcs7.detached)
 *   pdflib  pdf-lib loads IN and writes it anew with the field of
 *           @signpdf/placeholder-pdf-lib (any earlier signature is lost)
 * The key is a PKCS#12 file (node-forge reads OpenSSL 3's default PBES2 one).
 */
'use strict';
const fs = require('fs');
const { SignPdf } = require('@signpdf/signpdf');
const { P12Signer } = require('@signpdf/signer-p12');

const [mode, input, output, p12, password] = process.argv.slice(2);

async function main() {
  const signer = new P12Signer(fs.readFileSync(p12), { passphrase: password });
  const opts = {
    reason: '乙方签署', contactInfo: 'signer@example.com', name: 'npm signer',
    location: 'Shanghai', signatureLength: 16384,
  };
  let pdf = fs.readFileSync(input);
  if (mode === 'plain') {
    const { plainAddPlaceholder } = require('@signpdf/placeholder-plain');
    pdf = plainAddPlaceholder({ pdfBuffer: pdf, ...opts });
  } else if (mode === 'pdflib') {
    const { PDFDocument } = require('pdf-lib');
    const { pdflibAddPlaceholder } = require('@signpdf/placeholder-pdf-lib');
    const doc = await PDFDocument.load(pdf);
    pdflibAddPlaceholder({ pdfDoc: doc, ...opts });
    pdf = Buffer.from(await doc.save({ useObjectStreams: false }));
  } else {
    throw new Error('mode: plain or pdflib');
  }
  fs.writeFileSync(output, await new SignPdf().sign(pdf, signer));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
