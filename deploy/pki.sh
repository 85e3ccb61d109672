#!/usr/bin/env bash
# pki.sh: sealpact's development PKI, made with the openssl CLI only.
#
#   deploy/pki.sh [--force] [--base-url URL] OUTDIR
#
# Idempotent: whatever already exists in OUTDIR is kept; only missing files
# are made (and a CRL within a week of its nextUpdate is reissued). --force
# removes a PKI this script made in OUTDIR and starts over.
# --base-url (default http://127.0.0.1:8889, or $SEALPACT_PKI_BASE_URL) is
# where the certificates' AIA OCSP URL (BASE/ocsp) and CRL distribution
# point (BASE/crl.der; the issuing CAs': BASE/root-crl.der) point; tests
# pass the port of their own responder.
# DEVELOPMENT ONLY: the keys are unencrypted.
#
# Layout of OUTDIR:
#   root.key root.pem          root CA (ECDSA P-256, valid 2019..2049)
#   ca.key ca.pem              issuing CA (ECDSA P-256, CA:true pathlen:0,
#                              keyCertSign+cRLSign), signs everything below
#   chain.pem                  ca.pem then root.pem
#   index.txt serial crlnumber newcerts/   the issuing CA's `openssl ca`
#                              database (the OCSP responder reads index.txt)
#   root-db/                   the root's own `openssl ca` database
#   openssl.cnf                the configuration all of this was made with
#   orgs.tsv                   slug <TAB> organization name <TAB> credit code
#   orgs/<slug>/{rsa,ec,sm2}.key   PKCS#8 PEM keys (RSA-2048, P-256, SM2)
#   orgs/<slug>/{rsa,ec,sm2}.crt   signing certificates: O=<name>, CN=<person>,
#                              organizationIdentifier (2.5.4.97)=<credit code>,
#                              keyUsage critical digitalSignature,nonRepudiation
#   tsa.key tsa.crt            TSA (EKU critical timeStamping, KU digitalSignature)
#   sealmaker.key sealmaker.crt  the platform's seal maker (SM2; KU critical
#                              digitalSignature,nonRepudiation): signs the GB/T 38540
#                              SESeal of every approved electronic seal
#   evidence.key evidence.crt  the platform's evidence key (ECDSA P-256; KU critical
#                              digitalSignature,nonRepudiation): PAdES-signs every
#                              evidence report (出证报告)
#   ocsp.key ocsp.crt          OCSP responder (EKU OCSPSigning, ocsp-nocheck)
#   server.key server.crt      TLS server, SAN DNS:localhost, IP:127.0.0.1
#   server-chain.pem           server.crt then ca.pem (what a TLS server sends)
#   crl.pem crl.der            the issuing CA's CRL (lists bad/revoked.crt)
#   root-crl.pem root-crl.der  the root's CRL (lists bad/revoked-ca.pem); the
#                              issuing CAs' CRL distribution point (BASE/root-crl.der)
#   bad/other-root.{key,pem}   a root nobody trusts
#   bad/untrusted.{key,crt}    a signing certificate issued by bad/other-root
#   bad/expired.{key,crt}      valid 2020-01-01 .. 2021-01-01
#   bad/notyet.{key,crt}       valid 2040-01-01 .. 2041-01-01
#   bad/revoked.{key,crt}      revoked (keyCompromise) in index.txt and crl.pem
#   bad/wrongku.{key,crt}      keyUsage keyEncipherment only
#   bad/tampered.{key,crt}     orgs/<first>/ec.crt with one signature byte flipped
#   bad/by-leaf.{key,crt}      "issued" by orgs/<first>/ec (a signing certificate
#                              acting as a CA)
#   bad/revoked-ca.{key,pem}   a second issuing CA under the root, revoked in root-crl.pem
#   bad/revoked-ca-leaf.{key,crt}  a signing certificate issued by bad/revoked-ca
# All bad/* leaves (except untrusted) are in index.txt, so the responder
# answers for them. Every bad leaf belongs to the first organization.
set -euo pipefail

force=0
base=${SEALPACT_PKI_BASE_URL:-http://127.0.0.1:8889}
out=
while [ $# -gt 0 ]; do
  case "$1" in
  --force) force=1 ;;
  --base-url) base=${2:?--base-url needs a URL}; shift ;;
  -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
  -*) echo "pki.sh: unknown option $1" >&2; exit 64 ;;
  *) out=$1 ;;
  esac
  shift
done
[ -n "$out" ] || { echo "usage: pki.sh [--force] [--base-url URL] OUTDIR" >&2; exit 64; }
base=${base%/}

# The demo organizations: slug, name, person, first 17 characters of the
# credit code (the check character is computed below, GB 32100-2015).
orgs=(
  "buyer|示例采购有限公司|张三|91310000MA1FL8TQ3"
  "supplier|示例供应有限公司|李四|91440300MA5DC1XQ8"
  "logistics|示例物流有限公司|王五|91110108MA01H3PL2"
)

log() { echo "pki.sh: $*" >&2; }

if [ "$force" = 1 ] && [ -d "$out" ]; then
  # Only ever remove what this script made (the marker file says so).
  if [ -f "$out/.sealpact-pki" ]; then
    rm -rf "$out"
  else
    echo "pki.sh: $out exists and was not made by pki.sh; refusing --force" >&2
    exit 1
  fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
touch "$out/.sealpact-pki"
cd "$out"
umask 077
mkdir -p orgs bad newcerts root-db/newcerts

# credit_check FIRST17: print the GB 32100-2015 check character.
credit_check() {
  local alpha=0123456789ABCDEFGHJKLMNPQRTUWXY
  local w=(1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28)
  local s=0 i c v
  [ ${#1} -eq 17 ] || { echo "pki.sh: credit code body $1 is not 17 characters" >&2; exit 1; }
  for i in $(seq 0 16); do
    c=${1:$i:1}
    v=${alpha%%"$c"*}
    v=${#v}
    [ "$v" -lt 31 ] || { echo "pki.sh: bad credit code character $c" >&2; exit 1; }
    s=$((s + v * w[i]))
  done
  v=$(((31 - s % 31) % 31))
  echo "${alpha:$v:1}"
}

[ -f index.txt ] || : >index.txt
[ -f index.txt.attr ] || echo "unique_subject = no" >index.txt.attr
[ -f root-db/index.txt ] || : >root-db/index.txt
[ -f root-db/index.txt.attr ] || echo "unique_subject = no" >root-db/index.txt.attr
[ -f serial ] || openssl rand -hex 8 | tr a-f A-F | sed 's/^./1/' >serial
[ -f root-db/serial ] || openssl rand -hex 8 | tr a-f A-F | sed 's/^./2/' >root-db/serial
[ -f crlnumber ] || echo 1000 >crlnumber
[ -f root-db/crlnumber ] || echo 1000 >root-db/crlnumber

cat >openssl.cnf <<EOF
# Made by deploy/pki.sh; development only.
[ ca ]
default_ca = issuing

[ issuing ]
dir = $out
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 3650
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
utf8 = yes
string_mask = utf8only

[ rootca ]
dir = $out/root-db
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = $out/root.pem
private_key = $out/root.key
default_md = sha256
default_days = 10950
default_crl_days = 365
policy = policy_any
unique_subject = no
utf8 = yes
string_mask = utf8only

[ policy_any ]
commonName = supplied
organizationName = optional
organizationIdentifier = optional
countryName = optional

[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
prompt = no
[ req_dn ]
CN = unused

[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_ca ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
# the root's CRL: where a verifier without --crl files (OCSP only, which the root
# does not run) learns the issuing CA's own status, and a B-LT DSS gets it from
crlDistributionPoints = URI:$base/root-crl.der

[ v3_sign ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:$base/ocsp
crlDistributionPoints = URI:$base/crl.der

[ v3_wrongku ]
basicConstraints = critical, CA:false
keyUsage = critical, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:$base/ocsp
crlDistributionPoints = URI:$base/crl.der

[ v3_tsa ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:$base/ocsp
crlDistributionPoints = URI:$base/crl.der

[ v3_sealmaker ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:$base/ocsp
crlDistributionPoints = URI:$base/crl.der

[ v3_ocsp ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ v3_server ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

export OPENSSL_CONF=$out/openssl.cnf

# newkey ALG FILE: a PKCS#8 PEM private key.
newkey() {
  [ -f "$2" ] && return 0
  case "$1" in
  rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2.tmp" 2>/dev/null ;;
  ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2.tmp" ;;
  sm2) openssl genpkey -algorithm SM2 -out "$2.tmp" ;;
  esac
  mv "$2.tmp" "$2"
}

# issue ALG KEY CRT SUBJECT EXT [openssl ca options...]: a certificate from the
# issuing CA, recorded in index.txt.
issue() {
  local alg=$1 key=$2 crt=$3 subj=$4 ext=$5
  shift 5
  [ -f "$crt" ] && return 0
  newkey "$alg" "$key"
  local csr=$crt.csr sigopt=() vfyopt=()
  if [ "$alg" = sm2 ]; then
    # OpenSSL 3.0 signs and verifies SM2 with an empty ID unless told.
    sigopt=(-sm3 -sigopt distid:1234567812345678)
    vfyopt=(-vfyopt distid:1234567812345678)
  fi
  openssl req -new -utf8 -key "$key" -subj "$subj" "${sigopt[@]}" -out "$csr"
  openssl ca -batch -notext -utf8 -preserveDN -name issuing -extensions "$ext" \
    "${vfyopt[@]}" -in "$csr" -out "$crt.tmp" "$@" 2>/dev/null
  rm -f "$csr"
  mv "$crt.tmp" "$crt"
}

if [ ! -f root.pem ]; then
  log "root CA"
  newkey ec root.key
  openssl req -new -utf8 -key root.key -subj "/C=CN/O=sealpact 开发/CN=sealpact Dev Root CA" -out root.csr
  openssl ca -batch -notext -utf8 -selfsign -name rootca -extensions v3_root \
    -startdate 20190101000000Z -enddate 20491231235959Z -in root.csr -out root.pem.tmp 2>/dev/null
  rm -f root.csr ca.pem
  mv root.pem.tmp root.pem
fi
if [ ! -f ca.pem ]; then
  log "issuing CA"
  newkey ec ca.key
  openssl req -new -utf8 -key ca.key -subj "/C=CN/O=sealpact 开发/CN=sealpact Dev Issuing CA" -out ca.csr
  openssl ca -batch -notext -utf8 -name rootca -extensions v3_ca \
    -startdate 20190101000000Z -enddate 20491231235959Z -in ca.csr -out ca.pem.tmp 2>/dev/null
  rm -f ca.csr
  mv ca.pem.tmp ca.pem
fi
cat ca.pem root.pem >chain.pem

: >orgs.tsv.tmp
first=
for o in "${orgs[@]}"; do
  IFS='|' read -r slug name person code17 <<<"$o"
  code="$code17$(credit_check "$code17")"
  [ -n "$first" ] || first=$slug
  printf '%s\t%s\t%s\n' "$slug" "$name" "$code" >>orgs.tsv.tmp
  mkdir -p "orgs/$slug"
  subj="/C=CN/O=$name/organizationIdentifier=$code/CN=$person"
  for alg in rsa ec sm2; do
    [ -f "orgs/$slug/$alg.crt" ] || log "$slug $alg"
    issue "$alg" "orgs/$slug/$alg.key" "orgs/$slug/$alg.crt" "$subj" v3_sign
  done
done
mv orgs.tsv.tmp orgs.tsv

IFS=$'\t' read -r slug1 name1 code1 < <(head -n1 orgs.tsv)
subj1="/C=CN/O=$name1/organizationIdentifier=$code1"

issue ec tsa.key tsa.crt "/C=CN/O=sealpact 开发/CN=sealpact Dev TSA" v3_tsa
issue sm2 sealmaker.key sealmaker.crt "/C=CN/O=sealpact 开发/CN=sealpact Dev Seal Maker" v3_sealmaker
issue ec evidence.key evidence.crt "/C=CN/O=sealpact 开发/CN=sealpact Dev Evidence" v3_sealmaker
issue ec ocsp.key ocsp.crt "/C=CN/O=sealpact 开发/CN=sealpact Dev OCSP Responder" v3_ocsp
issue ec server.key server.crt "/C=CN/O=sealpact 开发/CN=localhost" v3_server
cat server.crt ca.pem >server-chain.pem

issue ec bad/expired.key bad/expired.crt "$subj1/CN=过期证书" v3_sign \
  -startdate 20200101000000Z -enddate 20210101000000Z
issue ec bad/notyet.key bad/notyet.crt "$subj1/CN=未生效证书" v3_sign \
  -startdate 20400101000000Z -enddate 20410101000000Z
issue ec bad/wrongku.key bad/wrongku.crt "$subj1/CN=错误用途证书" v3_wrongku
if [ ! -f bad/revoked.crt ]; then
  issue ec bad/revoked.key bad/revoked.crt.new "$subj1/CN=已吊销证书" v3_sign
  openssl ca -batch -name issuing -revoke bad/revoked.crt.new -crl_reason keyCompromise 2>/dev/null
  mv bad/revoked.crt.new bad/revoked.crt
  rm -f crl.pem
fi

if [ ! -f bad/tampered.crt ]; then
  # Flip the last byte of the DER: it lies inside the signature value, so
  # the certificate still parses but its signature no longer verifies.
  cp "orgs/$slug1/ec.key" bad/tampered.key
  openssl x509 -in "orgs/$slug1/ec.crt" -outform DER -out bad/tampered.der
  n=$(($(stat -c %s bad/tampered.der) - 1))
  b=$(od -An -tu1 -j "$n" -N1 bad/tampered.der | tr -d ' ')
  # shellcheck disable=SC2059 # the format is the octal escape of one byte
  printf "$(printf '\\%03o' $((b ^ 1)))" |
    dd of=bad/tampered.der bs=1 seek="$n" conv=notrunc status=none
  openssl x509 -inform DER -in bad/tampered.der -out bad/tampered.crt
  rm -f bad/tampered.der
fi

if [ ! -f bad/untrusted.crt ]; then
  newkey ec bad/other-root.key
  [ -f bad/other-root.pem ] || openssl req -new -x509 -utf8 -key bad/other-root.key -days 10950 \
    -subj "/C=CN/O=不受信任的机构/CN=Untrusted Root CA" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out bad/other-root.pem
  newkey ec bad/untrusted.key
  openssl req -new -utf8 -key bad/untrusted.key -subj "$subj1/CN=不受信任签发" -out bad/untrusted.csr
  openssl x509 -req -in bad/untrusted.csr -CA bad/other-root.pem -CAkey bad/other-root.key \
    -set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile openssl.cnf -extensions v3_sign \
    -out bad/untrusted.crt 2>/dev/null
  rm -f bad/untrusted.csr
fi

if [ ! -f bad/by-leaf.crt ]; then
  newkey ec bad/by-leaf.key
  openssl req -new -utf8 -key bad/by-leaf.key -subj "$subj1/CN=由签名证书签发" -out bad/by-leaf.csr
  openssl x509 -req -in bad/by-leaf.csr -CA "orgs/$slug1/ec.crt" -CAkey "orgs/$slug1/ec.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile openssl.cnf -extensions v3_sign \
    -out bad/by-leaf.crt 2>/dev/null
  rm -f bad/by-leaf.csr
fi

if [ ! -f bad/revoked-ca-leaf.crt ]; then
  newkey ec bad/revoked-ca.key
  if [ ! -f bad/revoked-ca.pem ]; then
    openssl req -new -utf8 -key bad/revoked-ca.key -subj "/C=CN/O=sealpact 开发/CN=sealpact Dev Revoked CA" \
      -out bad/revoked-ca.csr
    openssl ca -batch -notext -utf8 -name rootca -extensions v3_ca -startdate 20190101000000Z \
      -enddate 20491231235959Z -in bad/revoked-ca.csr -out bad/revoked-ca.pem.tmp 2>/dev/null
    openssl ca -batch -name rootca -revoke bad/revoked-ca.pem.tmp -crl_reason cACompromise 2>/dev/null
    rm -f bad/revoked-ca.csr root-crl.pem
    mv bad/revoked-ca.pem.tmp bad/revoked-ca.pem
  fi
  newkey ec bad/revoked-ca-leaf.key
  openssl req -new -utf8 -key bad/revoked-ca-leaf.key -subj "$subj1/CN=吊销CA签发" -out bad/revoked-ca-leaf.csr
  openssl x509 -req -in bad/revoked-ca-leaf.csr -CA bad/revoked-ca.pem -CAkey bad/revoked-ca.key \
    -set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile openssl.cnf -extensions v3_sign \
    -out bad/revoked-ca-leaf.crt 2>/dev/null
  rm -f bad/revoked-ca-leaf.csr
fi

# stale FILE: the CRL is missing or expires within a week. A CRL past its
# nextUpdate answers nothing, so a long-lived development tree gets a fresh
# one (same entries) whenever this script runs.
stale() {
  local next
  [ -f "$1" ] || return 0
  next=$(openssl crl -in "$1" -noout -nextupdate | sed 's/^nextUpdate=//')
  [ "$(date -u -d "$next" +%s)" -lt $(($(date -u +%s) + 7 * 86400)) ]
}
if stale root-crl.pem; then
  openssl ca -batch -name rootca -gencrl -out root-crl.pem.tmp 2>/dev/null
  mv root-crl.pem.tmp root-crl.pem
fi
if stale crl.pem; then
  log "CRL"
  openssl ca -batch -name issuing -gencrl -out crl.pem.tmp 2>/dev/null
  mv crl.pem.tmp crl.pem
fi
openssl crl -in crl.pem -outform DER -out crl.der
openssl crl -in root-crl.pem -outform DER -out root-crl.der

# The public material is readable; keys stay 0600 (umask above).
chmod 644 root.pem ca.pem chain.pem server-chain.pem crl.pem root-crl.pem crl.der root-crl.der orgs.tsv ./*.crt orgs/*/*.crt bad/*.crt bad/*.pem \
  index.txt 2>/dev/null || true
chmod 755 . orgs orgs/* bad
log "ready in $out (OCSP/CRL base URL $base)"
