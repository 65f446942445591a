/* XML-DSig verification with xmlsec against public keys parsed once (see src/xmlsec_verify.rs).
 *
 * xmlsec (through samael) otherwise re-parses the pinned X.509 certificate for every signature,
 * which costs more than the RSA verification itself. Here each pinned key is an EVP_PKEY parsed
 * once; every verification wraps a new reference to it in a fresh xmlSecKey, so KeyInfo is never
 * used to find a key and nothing is shared between calls but the immutable EVP_PKEY.
 *
 * xmlsec itself is initialised by samael (the Rust side makes sure of it before the first call). */

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/strings.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>

/* Results of shs_verify_document. */
#define SHS_VALID 0
#define SHS_PARSE_ERROR 1
#define SHS_BAD_ID 2
#define SHS_NO_SIGNATURE 3
#define SHS_INVALID 4
#define SHS_INTERNAL 5

typedef void (*shs_predigest_sink)(void *sink_ctx, const unsigned char *data, size_t len);

/* xmlsec's default error callback prints a `func=xmlSec...` line on stderr for every check that fails.
 * The harness refuses tampered documents on purpose, and each refusal already reaches the caller as a
 * result code, so those lines are only noise in a run's output. */
static void shs_ignore_error(const char *file, int line, const char *func, const char *error_object,
                             const char *error_subject, int reason, const char *msg) {
    (void)file;
    (void)line;
    (void)func;
    (void)error_object;
    (void)error_subject;
    (void)reason;
    (void)msg;
}

void shs_silence_xmlsec_errors(void) {
    xmlSecErrorsSetCallback(shs_ignore_error);
}

/* A public key from DER SubjectPublicKeyInfo, or NULL. */
EVP_PKEY *shs_key_from_spki(const unsigned char *der, long len) {
    const unsigned char *p = der;
    return d2i_PUBKEY(NULL, &p, len);
}

void shs_key_free(EVP_PKEY *key) {
    EVP_PKEY_free(key);
}

/* Registers every unqualified ID attribute as an XML ID, refusing a value that is not an
 * NCName or that appears twice (so a Reference names exactly one element). */
static int register_ids(xmlDocPtr doc, xmlNodePtr node) {
    for (; node != NULL; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) {
            continue;
        }
        xmlAttrPtr attr = xmlHasNsProp(node, BAD_CAST "ID", NULL);
        if (attr != NULL) {
            xmlChar *value = xmlNodeListGetString(doc, attr->children, 1);
            int bad = value == NULL || xmlValidateNCName(value, 0) != 0 ||
                      xmlGetID(doc, value) != NULL || xmlAddID(NULL, doc, value, attr) == NULL;
            xmlFree(value);
            if (bad) {
                return -1;
            }
        }
        if (register_ids(doc, node->children) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Collects dsig:Signature elements in document order. */
static int collect_signatures(xmlNodePtr node, xmlNodePtr *out, int max, int count) {
    for (; node != NULL; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (xmlSecCheckNodeName(node, xmlSecNodeSignature, xmlSecDSigNs)) {
            if (count >= max) {
                return -1;
            }
            out[count++] = node;
        }
        count = collect_signatures(node->children, out, max, count);
        if (count < 0) {
            return -1;
        }
    }
    return count;
}

/* Verifies one Signature with one key. 1: valid, and the pre-digest bytes of every Reference
 * went to the sink; 0: not valid with this key; -1: error. */
static int verify_with(xmlNodePtr signature, EVP_PKEY *pkey, shs_predigest_sink sink,
                       void *sink_ctx) {
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) {
        return -1;
    }
    ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
    /* Only same-document references: nothing is ever fetched. */
    ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;

    int result = -1;
    /* Only these algorithms, whatever the document names (the Rust side checks the URIs too):
     * exclusive c14n, RSA with SHA-2 for SignedInfo; enveloped-signature, exclusive c14n and SHA-2
     * digests for each Reference. */
    if (xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformRsaSha256Id) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformRsaSha384Id) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecOpenSSLTransformRsaSha512Id) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha256Id) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha384Id) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecOpenSSLTransformSha512Id) < 0) {
        goto done;
    }
    if (EVP_PKEY_up_ref(pkey) != 1) {
        goto done;
    }
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);
    if (data == NULL) {
        EVP_PKEY_free(pkey);
        goto done;
    }
    xmlSecKeyPtr key = xmlSecKeyCreate();
    if (key == NULL) {
        xmlSecKeyDataDestroy(data);
        goto done;
    }
    if (xmlSecKeySetValue(key, data) < 0) {
        xmlSecKeyDataDestroy(data);
        xmlSecKeyDestroy(key);
        goto done;
    }
    ctx->signKey = key; /* the context owns it now */

    if (xmlSecDSigCtxVerify(ctx, signature) < 0) {
        result = 0;
        goto done;
    }
    if (ctx->status != xmlSecDSigStatusSucceeded) {
        result = 0;
        goto done;
    }
    xmlSecSize refs = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
    if (refs == 0) {
        result = 0;
        goto done;
    }
    /* Every Reference must have verified and kept its pre-digest bytes before any is handed out. */
    for (xmlSecSize i = 0; i < refs; i++) {
        xmlSecDSigReferenceCtxPtr ref =
            (xmlSecDSigReferenceCtxPtr)xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
        if (ref == NULL || ref->status != xmlSecDSigStatusSucceeded) {
            result = 0;
            goto done;
        }
        if (xmlSecDSigReferenceCtxGetPreDigestBuffer(ref) == NULL) {
            goto done;
        }
    }
    for (xmlSecSize i = 0; i < refs; i++) {
        xmlSecDSigReferenceCtxPtr ref =
            (xmlSecDSigReferenceCtxPtr)xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
        xmlSecBufferPtr buf = xmlSecDSigReferenceCtxGetPreDigestBuffer(ref);
        sink(sink_ctx, xmlSecBufferGetData(buf), (size_t)xmlSecBufferGetSize(buf));
    }
    result = 1;
done:
    xmlSecDSigCtxDestroy(ctx);
    return result;
}

#define MAX_SIGNATURES 16

/* Parses `xml`, registers IDs, and verifies every dsig:Signature in it, each with the first of
 * `keys` that verifies it. The pre-digest bytes of every verified Reference go to `sink`.
 * Returns SHS_VALID only if the document has at least one Signature and all of them verify. */
int shs_verify_document(const char *xml, int len, EVP_PKEY *const *keys, size_t key_count,
                        shs_predigest_sink sink, void *sink_ctx) {
    /* A document that does not parse is reported as SHS_PARSE_ERROR; libxml2's own report of it
     * would only be a line on stderr. */
    xmlDocPtr doc =
        xmlReadMemory(xml, len, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        return SHS_PARSE_ERROR;
    }
    int result = SHS_INTERNAL;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root == NULL) {
        result = SHS_PARSE_ERROR;
        goto done;
    }
    if (register_ids(doc, root) < 0) {
        result = SHS_BAD_ID;
        goto done;
    }
    xmlNodePtr signatures[MAX_SIGNATURES];
    int count = collect_signatures(root, signatures, MAX_SIGNATURES, 0);
    if (count < 0) {
        result = SHS_INVALID;
        goto done;
    }
    if (count == 0) {
        result = SHS_NO_SIGNATURE;
        goto done;
    }
    for (int s = 0; s < count; s++) {
        int verified = 0;
        for (size_t k = 0; k < key_count && !verified; k++) {
            int r = verify_with(signatures[s], keys[k], sink, sink_ctx);
            if (r < 0) {
                result = SHS_INTERNAL;
                goto done;
            }
            verified = r;
        }
        if (!verified) {
            result = SHS_INVALID;
            goto done;
        }
    }
    result = SHS_VALID;
done:
    xmlFreeDoc(doc);
    return result;
}
