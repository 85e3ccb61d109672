/*
 * dss_int.h: what dss.c (reading the DSS) and dss_write.c (writing its next
 * version) share: the item kinds' key names and the bounds both hold a DSS to.
 */
#ifndef SP_PDF_DSS_INT_H
#define SP_PDF_DSS_INT_H

#include <stddef.h>

#define DSS_ITEMS_MAX 4096
#define DSS_BLOB_MAX ((size_t)16 << 20)
#define DSS_TOTAL_MAX ((size_t)64 << 20)

/* the DSS's arrays (/Certs, /OCSPs, /CRLs) and a /VRI entry's (/Cert, /OCSP, /CRL), by kind */
extern const char *const dss_kinds[3];
extern const char *const dss_vri_kinds[3];

#endif
