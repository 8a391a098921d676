/* Parsers for S3 XML responses (libxml2, no network, no entity expansion). */
#include "win2cloud/s3.h"
#include "common/util.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static xmlDocPtr parse(const char *xml, size_t len)
{
	if (!xml || !len || len > (64u << 20))
		return NULL;
	return xmlReadMemory(xml, (int)len, "response.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static bool named(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* Text of element @c into @out (size @n), quotes around ETags removed. */
static bool node_text(xmlNodePtr c, char *out, size_t n)
{
	xmlChar *t;

	out[0] = 0;
	if (!c || !(t = xmlNodeGetContent(c)))
		return false;
	const char *s = (const char *)t;
	size_t l = strlen(s);
	if (l >= 2 && s[0] == '"' && s[l - 1] == '"') {
		s++;
		l -= 2;
	}
	if (l >= n)
		l = n - 1;
	memcpy(out, s, l);
	out[l] = 0;
	xmlFree(t);
	return true;
}

static bool child_text(xmlNodePtr parent, const char *name, char *out, size_t n)
{
	return node_text(child(parent, name), out, n);
}

static bool to_u64(const char *s, uint64_t *v)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	*v = strtoull(s, &end, 10);
	return *end == 0;
}

w2c_code w2c_s3_parse_initiate(const char *xml, size_t len, char **upload_id, w2c_error *err)
{
	xmlDocPtr d = parse(xml, len);
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;
	char id[1024];
	w2c_code rc = W2C_OK;

	*upload_id = NULL;
	if (!named(r, "InitiateMultipartUploadResult") || !child_text(r, "UploadId", id, sizeof id) ||
	    !id[0])
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				   "initiate multipart upload: response has no "
				   "InitiateMultipartUploadResult/UploadId");
	else if (!(*upload_id = w2c_strdup(id)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	xmlFreeDoc(d);
	return rc;
}

w2c_code w2c_s3_parse_list_parts(const char *xml, size_t len, w2c_s3_part **parts, size_t *count,
				 bool *truncated, unsigned *next_marker, w2c_error *err)
{
	xmlDocPtr d = parse(xml, len);
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;
	char buf[128];
	uint64_t v;
	w2c_code rc = W2C_OK;

	*truncated = false;
	*next_marker = 0;
	if (!named(r, "ListPartsResult")) {
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "list parts: response is not a ListPartsResult");
		goto out;
	}
	if (child_text(r, "IsTruncated", buf, sizeof buf))
		*truncated = !strcmp(buf, "true");
	if (child_text(r, "NextPartNumberMarker", buf, sizeof buf) && to_u64(buf, &v) && v <= 10000)
		*next_marker = (unsigned)v;
	for (xmlNodePtr p = r->children; p; p = p->next) {
		if (!named(p, "Part"))
			continue;
		w2c_s3_part part = { 0 };
		if (!child_text(p, "PartNumber", buf, sizeof buf) || !to_u64(buf, &v) || !v || v > 10000 ||
		    !child_text(p, "ETag", part.etag, sizeof part.etag) ||
		    !child_text(p, "Size", buf, sizeof buf) || !to_u64(buf, &part.size)) {
			rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					   "list parts: a Part lacks a valid PartNumber (1-10000), ETag or Size");
			goto out;
		}
		part.number = (unsigned)v;
		w2c_s3_part *np = realloc(*parts, (*count + 1) * sizeof *np);
		if (!np) {
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			goto out;
		}
		*parts = np;
		np[(*count)++] = part;
	}
out:
	xmlFreeDoc(d);
	return rc;
}

/* ETag of a <@root> answer; S3 may answer 200 and then report the failure in an <Error> body. */
static w2c_code parse_result(const char *xml, size_t len, const char *root, const char *what,
			     char *etag, w2c_error *err)
{
	xmlDocPtr d = parse(xml, len);
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;
	w2c_code rc = W2C_OK;

	etag[0] = 0;
	if (named(r, "Error")) {
		char code[64], msg[256];
		w2c_s3_parse_error(xml, len, code, msg);
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "%s: %s: %s", what, code, msg);
	} else if (!named(r, root) || !child_text(r, "ETag", etag, 81) || !etag[0]) {
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: response has no %s/ETag", what,
				   root);
	}
	xmlFreeDoc(d);
	return rc;
}

w2c_code w2c_s3_parse_complete(const char *xml, size_t len, char *etag, w2c_error *err)
{
	return parse_result(xml, len, "CompleteMultipartUploadResult", "complete multipart upload",
			    etag, err);
}

w2c_code w2c_s3_parse_copy(const char *xml, size_t len, char *etag, w2c_error *err)
{
	return parse_result(xml, len, "CopyObjectResult", "copy object", etag, err);
}

void w2c_s3_parse_error(const char *xml, size_t len, char code[64], char message[256])
{
	xmlDocPtr d = parse(xml, len);
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;

	code[0] = message[0] = 0;
	if (named(r, "Error")) {
		child_text(r, "Code", code, 64);
		child_text(r, "Message", message, 256);
	}
	xmlFreeDoc(d);
}

w2c_code w2c_s3_parse_location(const char *xml, size_t len, char region[64], w2c_error *err)
{
	xmlDocPtr d = parse(xml, len);
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;
	w2c_code rc = W2C_OK;

	region[0] = 0;
	/* S3 answers LocationConstraint, OBS's native API Location */
	if ((!named(r, "LocationConstraint") && !named(r, "Location")) || !node_text(r, region, 64))
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				   "bucket location: response is no LocationConstraint or Location element");
	else if (strspn(region, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
		 strlen(region))
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				   "bucket location: '%.40s' is no region name (letters, digits, '-')", region);
	xmlFreeDoc(d);
	return rc;
}

void w2c_s3_parse_error_field(const char *xml, size_t len, const char *name, char *out, size_t n)
{
	xmlDocPtr d = parse(xml, len);
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;

	out[0] = 0;
	if (named(r, "Error"))
		child_text(r, name, out, n);
	xmlFreeDoc(d);
}
