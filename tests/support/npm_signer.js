/*
 * npm_signer.js MODE IN OUT P12 PASSWORD: sign IN as the JavaScript world
 * does, with the npm packages deploy/npm.sh installs (tests/integration/
 * test_world_writers.py runs it with NODE_PATH=deploy/npm/node_modules):
 *   plain   @signpdf/placeholder-plain appends the signature field in an
 *           incremental update, @signpdf/signpdf fills it (adbe.pkcs7.detached)
 *   pdflib  pdf-lib loads IN and writes it anew with the field of
 *           @signpdf/placeholder-pdf-lib (any earlier signature is lost)
 * The key is a PKCS#12 file (node-forge reads OpenSSL 3's default PBES2 one).
 *
 * npm_signer.js cjk-contract OUT FONT: a two-page contract as pdf-lib writes
 * one with @pdf-lib/fontkit embedding a CJK TrueType font (FONT, subset:
 * a CIDFontType2 with Identity-H and /ToUnicode), unsigned.
 */
'use strict';
const fs = require('fs');
const { SignPdf } = require('@signpdf/signpdf');
const { P12Signer } = require('@signpdf/signer-p12');

const [mode, input, output, p12, password] = process.argv.slice(2);

async function cjkContract(output, fontPath) {
  const { PDFDocument, rgb } = require('pdf-lib');
  const fontkit = require('@pdf-lib/fontkit');
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(fs.readFileSync(fontPath), { subset: true });
  const size = 12;
  let page = doc.addPage([595.28, 841.89]);
  let y = 770;
  const line = (text, s = size, x = 72) => {
    if (y < 80) {
      page = doc.addPage([595.28, 841.89]);
      y = 770;
    }
    page.drawText(text, { x, y, size: s, font, color: rgb(0, 0, 0) });
    y -= s * 2;
  };
  line('设备采购合同', 20, 230);
  line('合同编号：SP-2026-0077');
  line('甲方（买方）：北京星河置业有限公司');
  line('乙方（卖方）：上海明远信息技术有限公司');
  for (let i = 1; i <= 36; i++) {
    line(`第${i}条　乙方应按约定交付设备，甲方应在验收合格后十日内付款。`);
  }
  y -= size;
  page.drawText('甲方（盖章）：', { x: 72, y, size, font });
  page.drawText('乙方（盖章）：', { x: 330, y, size, font });
  fs.writeFileSync(output, await doc.save({ useObjectStreams: false }));
}

async function main() {
  if (mode === 'cjk-contract') {
    await cjkContract(input, output);
    return;
  }
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
