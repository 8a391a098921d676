/*
 * WIM metadata straight from the source image.  wimlib opens WIMs by path
 * only, and the WIMs live inside the ISO, so we read the 208-byte header and
 * the uncompressed XML resource at the offsets it names (a few KiB of I/O
 * instead of extracting gigabytes), then parse the XML with libxml2.  Tests
 * compare the result with wimlib_get_xml_data()/wimlib_get_wim_info().
 */
#include "media_int.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#define WIM_HDR 208
#define WIM_XML_MAX (64u << 20)
#define RESHDR_COMPRESSED 0x04

static const char *arch_name(int id)
{
	switch (id) {
	case 0: return "x86";
	case 5: return "arm";
	case 6: return "ia64";
	case 9: return "amd64";
	case 12: return "arm64";
	default: return NULL;
	}
}

static char *text_of(xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)name)) {
			xmlChar *t = xmlNodeGetContent(c);
			char *s = w2c_strdup((const char *)t);
			xmlFree(t);
			return s;
		}
	return NULL;
}

static xmlNode *child_of(xmlNode *parent, const char *name)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)name))
			return c;
	return NULL;
}

static unsigned num_of(xmlNode *parent, const char *name, int *present)
{
	char *s = text_of(parent, name);
	unsigned long v = 0;
	if (present)
		*present = s != NULL;
	if (s)
		v = strtoul(s, NULL, 0);
	free(s);
	return (unsigned)v;
}

static void parse_languages(xmlNode *win, w2c_edition *e)
{
	xmlNode *langs = child_of(win, "LANGUAGES");
	for (xmlNode *c = langs ? langs->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || xmlStrcmp(c->name, (const xmlChar *)"LANGUAGE"))
			continue;
		char **l = realloc(e->languages, (e->n_languages + 1) * sizeof *l);
		if (!l)
			return;
		e->languages = l;
		xmlChar *t = xmlNodeGetContent(c);
		l[e->n_languages++] = w2c_strdup((const char *)t);
		xmlFree(t);
	}
	e->default_language = text_of(langs, "DEFAULT");
}

static void parse_image(xmlNode *img, const char *file, w2c_edition *e)
{
	xmlChar *idx = xmlGetProp(img, (const xmlChar *)"INDEX");
	xmlNode *win = child_of(img, "WINDOWS"), *ver = child_of(win, "VERSION");
	int has_arch;

	e->file = w2c_strdup(file);
	e->index = idx ? (unsigned)strtoul((const char *)idx, NULL, 10) : 0;
	xmlFree(idx);
	e->name = text_of(img, "NAME");
	e->description = text_of(img, "DESCRIPTION");
	e->display_name = text_of(img, "DISPLAYNAME");
	e->flags = text_of(img, "FLAGS");
	e->edition_id = text_of(win, "EDITIONID");
	e->installation_type = text_of(win, "INSTALLATIONTYPE");
	e->product_type = text_of(win, "PRODUCTTYPE");
	e->product_name = text_of(win, "PRODUCTNAME");
	e->arch_id = (int)num_of(win, "ARCH", &has_arch);
	if (!has_arch)
		e->arch_id = -1;
	e->arch = arch_name(e->arch_id);
	e->major = num_of(ver, "MAJOR", NULL);
	e->minor = num_of(ver, "MINOR", NULL);
	e->build = num_of(ver, "BUILD", NULL);
	e->spbuild = num_of(ver, "SPBUILD", NULL);
	parse_languages(win, e);
}

static int by_index(const void *a, const void *b)
{
	const w2c_edition *x = a, *y = b;
	return (int)x->index - (int)y->index;
}

w2c_code w2c_wimxml_parse(const uint8_t *xml, size_t len, const char *file, w2c_wim_info *out,
			  w2c_error *err)
{
	xmlDoc *doc;
	xmlNode *root;
	size_t n = 0;

	if (len > INT32_MAX)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: WIM XML too large", file);
	/* The BOM tells libxml2 the encoding (UTF-16LE on every real WIM). */
	doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
	if (!doc)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: WIM XML metadata is not well-formed XML", file);
	root = xmlDocGetRootElement(doc);
	if (!root || xmlStrcmp(root->name, (const xmlChar *)"WIM")) {
		w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: WIM XML root element is <%s>, expected <WIM>",
			      file, root ? (const char *)root->name : "");
		xmlFreeDoc(doc); /* after the message: it names the element */
		return W2C_ERR_INVALID_INPUT;
	}
	for (xmlNode *c = root->children; c; c = c->next)
		n += c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)"IMAGE");
	out->images = calloc(n ? n : 1, sizeof *out->images);
	if (!out->images) {
		xmlFreeDoc(doc);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	for (xmlNode *c = root->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)"IMAGE"))
			parse_image(c, file, &out->images[out->image_count++]);
	qsort(out->images, out->image_count, sizeof *out->images, by_index);
	xmlFreeDoc(doc);
	return W2C_OK;
}

static w2c_code read_header(w2c_media *m, const w2c_node *n, const char *file, w2c_wim_info *w,
			    uint64_t *xml_off, uint64_t *xml_len, w2c_error *err)
{
	uint8_t h[WIM_HDR];
	size_t got;
	w2c_code rc = w2c_media_read(m, n, 0, h, sizeof h, &got, err);

	if (rc)
		return rc;
	if (got < sizeof h || (memcmp(h, "MSWIM\0\0\0", 8) && memcmp(h, "WLPWM\0\0\0", 8)))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: %s: not a WIM: expected the magic 'MSWIM' in its %d-byte header",
				     m->path, file, WIM_HDR);
	if (w2c_le32(h + 8) != WIM_HDR)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: %s: WIM header size field (offset 8) is %u, expected %d",
				     m->path, file, w2c_le32(h + 8), WIM_HDR);
	w->flags = w2c_le32(h + 0x10);
	w->part_number = w2c_le16(h + 0x28);
	w->total_parts = w2c_le16(h + 0x2A);
	w->boot_index = w2c_le32(h + 0x78);
	uint32_t count = w2c_le32(h + 0x2C);
	const uint8_t *x = h + 0x48; /* XML resource header */
	uint64_t stored = w2c_le64(x) & 0x00FFFFFFFFFFFFFFull;
	*xml_off = w2c_le64(x + 8);
	*xml_len = w2c_le64(x + 16);
	if (x[7] & RESHDR_COMPRESSED)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: %s: WIM XML resource is flagged compressed; expected "
				     "uncompressed XML", m->path, file);
	if (!*xml_len || *xml_len > WIM_XML_MAX || stored != *xml_len || *xml_off + *xml_len > n->size)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: %s: WIM XML resource (offset %llu, %llu bytes) does not fit "
				     "the %llu-byte file", m->path, file, (unsigned long long)*xml_off,
				     (unsigned long long)*xml_len, (unsigned long long)n->size);
	w->image_count = count;
	return W2C_OK;
}

static w2c_code read_one(w2c_media *m, const w2c_node *n, w2c_wim_info *w, w2c_error *err)
{
	uint64_t off = 0, len = 0;
	uint8_t *xml;
	size_t got;
	uint32_t count;
	char *file = w2c_node_path(n);
	w2c_code rc = file ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	if (!rc)
		rc = read_header(m, n, file, w, &off, &len, err);
	xml = rc ? NULL : malloc(len);
	if (!rc && !xml)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = w2c_media_read(m, n, off, xml, len, &got, err);
	count = w->image_count;
	w->image_count = 0;
	if (!rc && (rc = w2c_wimxml_parse(xml, len, file, w, err)) && err) {
		char msg[sizeof err->message]; /* name the image too, as the header checks do */
		snprintf(msg, sizeof msg, "%s: %s", m->path, err->message);
		memcpy(err->message, msg, sizeof msg);
	}
	if (!rc && w->image_count != count)
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				   "%s: %s: WIM header says %u images, its XML describes %u",
				   m->path, file, count, w->image_count);
	if (!rc && w->boot_index > w->image_count)
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				   "%s: %s: WIM boot index %u, expected 0..%u", m->path, file,
				   w->boot_index, w->image_count);
	free(xml);
	w->file = file;
	return rc;
}

static void free_edition(w2c_edition *e)
{
	free(e->file);
	free(e->name);
	free(e->description);
	free(e->display_name);
	free(e->flags);
	free(e->edition_id);
	free(e->installation_type);
	free(e->product_type);
	free(e->product_name);
	for (size_t i = 0; i < e->n_languages; i++)
		free(e->languages[i]);
	free(e->languages);
	free(e->default_language);
}

void w2c_wims_free(w2c_media *m)
{
	for (size_t i = 0; i < m->n_wims; i++) {
		for (uint32_t k = 0; k < m->wims[i].image_count; k++)
			free_edition(&m->wims[i].images[k]);
		free(m->wims[i].images);
		free(m->wims[i].file);
	}
	free(m->wims);
	free(m->editions);
	m->wims = NULL;
	m->editions = NULL;
	m->n_wims = m->n_editions = 0;
}

/* install.wim, install.esd, install.swm (first part), boot.wim under /sources. */
w2c_code w2c_wims_read(w2c_media *m, w2c_error *err)
{
	static const char *const names[] = { "install.wim", "install.esd", "install.swm", "boot.wim" };
	w2c_node *src = w2c_tree_lookup(m->root, "/sources");
	w2c_code rc = W2C_OK;

	if (!src)
		return W2C_OK;
	m->wims = calloc(4, sizeof *m->wims);
	if (!m->wims)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < 4 && !rc; i++) {
		w2c_node *n = w2c_node_child(src, names[i]);
		if (!n || n->is_dir)
			continue;
		rc = read_one(m, n, &m->wims[m->n_wims], err);
		m->n_wims++;
	}
	for (size_t i = 0; i < m->n_wims && !rc; i++) {
		if (w2c_str_endswith_ci(m->wims[i].file, "/boot.wim"))
			continue;
		for (uint32_t k = 0; k < m->wims[i].image_count; k++) {
			const w2c_edition **e = realloc(m->editions, (m->n_editions + 1) * sizeof *e);
			if (!e)
				return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			m->editions = e;
			e[m->n_editions++] = &m->wims[i].images[k];
		}
	}
	return rc;
}
