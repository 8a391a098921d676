/*
 * Byte-preserving output for `unattend merge`.  libxml2 has no
 * formatting-keeping serializer: a dump rewrites every start tag (namespace
 * declarations first, one line, double quotes, "<a/>" for "<a />").  So the
 * parse records, through SAX2 callbacks wrapped around libxml2's own tree
 * builder, where each element's start tag ends and where the element ends
 * in the input; the merged tree is then written by copying the input bytes
 * of every subtree the merge did not touch and letting libxml2 serialize
 * only what is new.  The result is re-parsed and must dump exactly like the
 * edited tree, else the plain libxml2 dump is used.
 */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"

#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct span {
	size_t gt;     /* offset of the '>' (or "/>") closing the start tag */
	size_t end;    /* offset just after the element */
	size_t n_children, n_ns, n_attr;
	bool empty;    /* written as <a/> */
	bool clean;    /* subtree unchanged since the parse */
	bool ended;
} span;

struct ux_spans {
	span *v;
	size_t n, cap;
	bool failed;
	startElementNsSAX2Func start;
	endElementNsSAX2Func end;
};

#define ORIGINAL ((void *)(uintptr_t)-1) /* _private of parsed non-element nodes */

static span *span_of(const xmlNode *n, ux_spans *s)
{
	uintptr_t i = (uintptr_t)n->_private;
	return n->type == XML_ELEMENT_NODE && i && n->_private != ORIGINAL && i <= s->n ? &s->v[i - 1]
												  : NULL;
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
		     int nb_ns, const xmlChar **ns, int nb_attr, int nb_def, const xmlChar **attrs)
{
	xmlParserCtxtPtr c = ctx;
	ux_spans *s = c->_private;
	s->start(ctx, local, prefix, uri, nb_ns, ns, nb_attr, nb_def, attrs);
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		span *nv = realloc(s->v, nc * sizeof *nv);
		if (nv) {
			s->v = nv;
			s->cap = nc;
		}
	}
	if (!c->node || c->node->_private || s->n == s->cap) {
		s->failed = true;
		return;
	}
	memset(&s->v[s->n], 0, sizeof *s->v);
	s->v[s->n].gt = (size_t)xmlByteConsumed(c); /* the parser stands on '>' or "/>" */
	c->node->_private = (void *)(uintptr_t)++s->n;
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr c = ctx;
	ux_spans *s = c->_private;
	span *sp = c->node ? span_of(c->node, s) : NULL;
	if (sp) {
		sp->end = (size_t)xmlByteConsumed(c); /* just after '>' */
		sp->ended = true;
	} else {
		s->failed = true;
	}
	s->end(ctx, local, prefix, uri);
}

static size_t count(const void *first, size_t next_off)
{
	size_t n = 0;
	for (const char *p = first; p; p = *(const char *const *)(p + next_off))
		n++;
	return n;
}

/* After the parse: counts per element, and every other node marked as parsed. */
static void mark(xmlNodePtr n, ux_spans *s, const char *in, size_t len)
{
	for (; n; n = n->next) {
		span *sp = span_of(n, s);
		if (n->type != XML_ELEMENT_NODE) {
			n->_private = ORIGINAL;
			continue;
		}
		if (!sp || !sp->ended || sp->gt >= len || sp->end > len || sp->end <= sp->gt ||
		    (in[sp->gt] != '>' && in[sp->gt] != '/') || in[sp->end - 1] != '>') {
			s->failed = true;
			return;
		}
		sp->empty = in[sp->gt] == '/';
		sp->n_ns = count(n->nsDef, offsetof(xmlNs, next));
		sp->n_attr = count(n->properties, offsetof(xmlAttr, next));
		sp->n_children = count(n->children, offsetof(xmlNode, next));
		mark(n->children, s, in, len);
	}
}

xmlDocPtr w2c_ux_parse_spans(const char *data, size_t len, const char *name, char *msg, size_t msgsz,
			 ux_spans **spans)
{
	ux_spans *s = calloc(1, sizeof *s);
	xmlParserCtxtPtr ctx = xmlNewParserCtxt();
	xmlDocPtr doc = NULL;

	*spans = NULL;
	if (!s || !ctx || !ctx->sax || len > (size_t)1 << 30) {
		free(s);
		xmlFreeParserCtxt(ctx);
		return w2c_ux_parse(data, len, name, msg, msgsz, NULL);
	}
	s->start = ctx->sax->startElementNs;
	s->end = ctx->sax->endElementNs;
	ctx->sax->startElementNs = on_start;
	ctx->sax->endElementNs = on_end;
	ctx->_private = s;
	doc = xmlCtxtReadMemory(ctx, data, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc && ctx->wellFormed && !s->failed && xmlDocGetRootElement(doc) &&
	    (!doc->encoding || !w2c_strcasecmp((const char *)doc->encoding, "utf-8")) &&
	    (len < 2 || ((uint8_t)data[0] != 0xFF && (uint8_t)data[0] != 0xFE && data[0] && data[1])))
		mark(doc->children, s, data, len);
	else
		s->failed = true;
	xmlFreeParserCtxt(ctx);
	if (!s->failed) {
		*spans = s;
		return doc;
	}
	/* Not UTF-8, not well-formed, or offsets that do not fit: the plain parse
	 * (and its error message) and the plain dump. */
	xmlFreeDoc(doc);
	w2c_ux_spans_free(s);
	return w2c_ux_parse(data, len, name, msg, msgsz, NULL);
}

void w2c_ux_spans_free(ux_spans *s)
{
	if (s)
		free(s->v);
	free(s);
}

/* ---- writing ---- */

typedef struct out {
	char *buf;
	size_t n, cap;
	bool crlf, oom;
} out;

static void put(out *o, const char *p, size_t n)
{
	if (o->oom || !n)
		return;
	if (o->n + n + 1 > o->cap) {
		size_t nc = (o->cap ? o->cap * 2 : 4096) + n;
		char *nb = realloc(o->buf, nc);
		if (!nb) {
			o->oom = true;
			return;
		}
		o->buf = nb;
		o->cap = nc;
	}
	memcpy(o->buf + o->n, p, n);
	o->n += n;
	o->buf[o->n] = 0;
}

/* Text libxml2 serialized (LF line ends), with the document's line ends. */
static void put_lf(out *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j < n && p[j] != '\n')
			j++;
		put(o, p + i, j - i);
		if (j < n)
			put(o, o->crlf ? "\r\n" : "\n", o->crlf ? 2 : 1);
		i = j;
	}
}

static void dump_node(out *o, xmlNodePtr n)
{
	xmlBufferPtr b = xmlBufferCreate();
	if (!b || xmlNodeDump(b, n->doc, n, 0, 0) < 0)
		o->oom = true;
	else
		put_lf(o, (const char *)xmlBufferContent(b), (size_t)xmlBufferLength(b));
	xmlBufferFree(b);
}

/* Post-order: a subtree is clean when every node in it is the parsed one, unchanged in shape. */
static bool compute_clean(xmlNodePtr n, ux_spans *s)
{
	span *sp = span_of(n, s);
	size_t kids = 0;
	bool clean = sp && count(n->nsDef, offsetof(xmlNs, next)) == sp->n_ns &&
		     count(n->properties, offsetof(xmlAttr, next)) == sp->n_attr;
	for (xmlNodePtr c = n->children; c; c = c->next, kids++) {
		if (c->type == XML_ELEMENT_NODE)
			clean &= compute_clean(c, s);
		else
			clean &= c->_private == ORIGINAL;
	}
	clean &= sp && kids == sp->n_children;
	if (sp)
		sp->clean = clean;
	return clean;
}

/* '<' opening the tag that ends before @at ('<' cannot occur in attribute values). */
static size_t tag_open(const char *in, size_t at)
{
	while (at && in[at] != '<')
		at--;
	return at;
}

static bool emit(out *o, xmlNodePtr n, ux_spans *s, const char *in)
{
	span *sp = span_of(n, s);
	if (n->type != XML_ELEMENT_NODE || !sp) {
		dump_node(o, n); /* new, or text/comment/PI: identical for whitespace and comments */
		return true;
	}
	if (count(n->properties, offsetof(xmlAttr, next)) != sp->n_attr)
		return false; /* the merge never adds attributes to a parsed element */
	size_t lt = tag_open(in, sp->gt);
	put(o, in + lt, sp->gt - lt);
	xmlNsPtr ns = n->nsDef;
	for (size_t i = 0; ns && i < sp->n_ns; i++)
		ns = ns->next;
	for (; ns; ns = ns->next) { /* declared by the merge (wcm on a component) */
		put(o, " xmlns", 6);
		if (ns->prefix) {
			put(o, ":", 1);
			put(o, (const char *)ns->prefix, strlen((const char *)ns->prefix));
		}
		put(o, "=\"", 2);
		put(o, (const char *)ns->href, strlen((const char *)ns->href));
		put(o, "\"", 1);
	}
	bool kids_clean = true;
	for (xmlNodePtr c = n->children; c; c = c->next)
		kids_clean &= c->type == XML_ELEMENT_NODE ? span_of(c, s) && span_of(c, s)->clean
							  : c->_private == ORIGINAL;
	if (kids_clean && count(n->children, offsetof(xmlNode, next)) == sp->n_children) {
		put(o, in + sp->gt, sp->end - sp->gt);
		return true;
	}
	put(o, ">", 1);
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (!emit(o, c, s, in))
			return false;
	if (sp->empty) {
		put(o, "</", 2);
		if (n->ns && n->ns->prefix) {
			put(o, (const char *)n->ns->prefix, strlen((const char *)n->ns->prefix));
			put(o, ":", 1);
		}
		put(o, (const char *)n->name, strlen((const char *)n->name));
		put(o, ">", 1);
	} else {
		size_t close = tag_open(in, sp->end - 1);
		put(o, in + close, sp->end - close);
	}
	return true;
}

/* Same tree: both serialize to the same libxml2 dump. */
static bool same_tree(xmlDocPtr doc, const char *text, size_t len)
{
	char msg[64];
	xmlDocPtr back = w2c_ux_parse(text, len, "merged", msg, sizeof msg, NULL);
	xmlChar *a = NULL, *b = NULL;
	int la = 0, lb = 0;
	if (!back)
		return false;
	xmlDocDumpMemory(doc, &a, &la);
	xmlDocDumpMemory(back, &b, &lb);
	bool same = a && b && la == lb && !memcmp(a, b, (size_t)la);
	xmlFree(a);
	xmlFree(b);
	xmlFreeDoc(back);
	return same;
}

w2c_code w2c_ux_dump_spliced(xmlDocPtr doc, ux_spans *s, const char *in, size_t in_len, bool crlf,
			 char **res, size_t *res_len, w2c_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	span *rs = root && s ? span_of(root, s) : NULL;
	out o = { .crlf = crlf };

	if (rs) {
		for (xmlNodePtr c = doc->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				compute_clean(c, s);
		size_t lt = tag_open(in, rs->gt);
		put(&o, in, lt); /* XML declaration, comments and blank lines before the root */
		if (emit(&o, root, s, in) && rs->end <= in_len) {
			put(&o, in + rs->end, in_len - rs->end);
			if (!o.oom && o.buf && same_tree(doc, o.buf, o.n)) {
				*res = o.buf;
				*res_len = o.n;
				return W2C_OK;
			}
		}
	}
	free(o.buf);
	return w2c_ux_dump(doc, crlf, res, res_len, err);
}
