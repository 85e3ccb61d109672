#!/bin/sh
# make_corpus_crypto.sh: regenerate the seed corpora of the crypto fuzz
# targets (corpus/cert, corpus/ts_response, corpus/tsa_query) with the openssl CLI: a small PKI
# (root, RSA / P-256 / SM2 leaves with the subject fields the server reads, a
# TSA with a critical timeStamping EKU) and RFC 3161 responses to the fixed
# query that fuzz_ts_response.c embeds (corpus/ts_query.der). The keys are
# throwaway; only the seeds are kept. corpus/cms_assemble and corpus/seal_place
# are laid out as fuzz_cms_assemble.c and fuzz_seal_place.c describe.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
c="$here/corpus"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p "$c/cert" "$c/ts_response"
subj='/C=CN/O=测试有限公司/organizationIdentifier=91350100M000100Y43/CN=测试 签章'
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-subj '/CN=Fuzz Root' -days 3650 -out ca.pem -utf8 2>/dev/null
leaf() { # name genpkey-options [req/x509 options for SM2]
	openssl genpkey $2 -out "$1.key" 2>/dev/null
	openssl req -new -key "$1.key" $3 -subj "$subj" -utf8 -out "$1.csr" 2>/dev/null
	printf 'keyUsage=critical,digitalSignature,nonRepudiation\n' >leaf.ext
	openssl x509 -req -in "$1.csr" ${4:-} -CA ca.pem -CAkey ca.key \
		-set_serial "0x$(openssl rand -hex 9)" -days 365 -extfile leaf.ext \
		-out "$1.pem" 2>/dev/null
	openssl x509 -in "$1.pem" -outform DER -out "$c/cert/$1.der"
}
leaf rsa "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ""
leaf ec "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ""
leaf sm2 "-algorithm SM2" "-sm3 -sigopt distid:1234567812345678" "-vfyopt distid:1234567812345678"
cp ec.pem "$c/cert/ec.pem"
openssl x509 -in ca.pem -outform DER -out "$c/cert/ca.der"

# The TSA and its answers to the fixed query.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key \
	-subj '/CN=Fuzz TSA' -out tsa.csr 2>/dev/null
printf 'extendedKeyUsage=critical,timeStamping\n' >tsa.ext
openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 3650 \
	-extfile tsa.ext -out tsa.pem 2>/dev/null
cat >tsa.cnf <<X
[ tsa ]
default_tsa = t
[ t ]
serial = $tmp/serial
crypto_device = builtin
signer_cert = $tmp/tsa.pem
signer_key = $tmp/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
X
echo 01 >serial
q="$c/ts_query.der"
openssl ts -reply -config tsa.cnf -queryfile "$q" -out "$c/ts_response/granted.der" 2>/dev/null
echo 02 >serial
openssl ts -reply -config tsa.cnf -queryfile "$q" -chain ca.pem -out "$c/ts_response/chain.der" 2>/dev/null
# a query the TSA refuses (SHA-1 imprint): a rejection response
openssl ts -query -data tsa.ext -sha1 -out q1.der
openssl ts -reply -config tsa.cnf -queryfile q1.der -out "$c/ts_response/rejected.der" 2>/dev/null
# queries for the built-in TSA (fuzz_tsa_query)
mkdir -p "$c/tsa_query"
cp "$q" "$c/tsa_query/sha256_nonce.der"
openssl ts -query -data tsa.ext -sha512 -no_nonce -out "$c/tsa_query/sha512_nonce_none.der"
openssl ts -query -data tsa.ext -sha384 -cert -tspolicy 1.3.6.1.4.1.99999.1.1 \
	-out "$c/tsa_query/sha384_policy.der"
openssl ts -query -data tsa.ext -sha1 -out "$c/tsa_query/sha1_rejected.der"
ls "$c"/cert "$c"/ts_response "$c"/tsa_query | wc -l
