/* Pipeline files (YAML, libyaml's document API) into stages of long options. */
#include "win2cloud/pipeline.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *const verbs[] = {
	"inspect", "build", "inject", "verify", "install", "check", "upload", "register", "onboard",
	NULL,
};

const char *const *w2c_pipeline_verbs(void) { return verbs; }

/* Parsing context: the document and where to point in messages. */
struct pctx {
	yaml_document_t *doc;
	const char *name;
	w2c_error *err;
};

static unsigned line_of(const yaml_node_t *n) { return (unsigned)n->start_mark.line + 1; }

static w2c_code perr(struct pctx *c, const yaml_node_t *n, const char *where, const char *msg)
{
	return w2c_set_error(c->err, W2C_ERR_INVALID_INPUT, "%s:%u: %s: %s", c->name,
			     n ? line_of(n) : 0, where, msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool plain_scalar(const yaml_node_t *n, const char *word)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !strcmp(scalar(n), word);
}

static bool is_verb(const char *s)
{
	for (size_t i = 0; verbs[i]; i++)
		if (!strcmp(verbs[i], s))
			return true;
	return false;
}

/* Long-option words only: what a key turns into is "--KEY". */
static bool option_word(const char *k)
{
	if (!*k || *k == '-' || strlen(k) > 64)
		return false;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

/* Keys that would put a secret in the file; *-file keys (a path) are fine. */
static bool secret_key(const char *k)
{
	static const char *const words[] = { "password", "secret", "token", "secret-key", "sk",
					     "access-key", "ak", "private-key", NULL };
	for (size_t i = 0; words[i]; i++) {
		size_t n = strlen(words[i]), kl = strlen(k);
		if (kl >= n && !strcmp(k + kl - n, words[i]) && (kl == n || k[kl - n - 1] == '-'))
			return true;
	}
	return false;
}

static w2c_code add_value(w2c_pipeline_opt *o, const char *v, w2c_error *err)
{
	char **nv = realloc(o->values, (o->n_values + 1) * sizeof *nv);
	if (!nv || !(nv[o->n_values] = w2c_strdup(v))) {
		if (nv)
			o->values = nv;
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	o->values = nv;
	o->n_values++;
	return W2C_OK;
}

static w2c_code take_value(struct pctx *c, w2c_pipeline_opt *o, yaml_node_t *v, const char *where)
{
	if (v->type == YAML_SCALAR_NODE) {
		if (plain_scalar(v, "true") || plain_scalar(v, "yes")) {
			o->flag = true;
			return W2C_OK;
		}
		if (plain_scalar(v, "false") || plain_scalar(v, "no") || plain_scalar(v, "null") ||
		    plain_scalar(v, "~"))
			return W2C_OK; /* option left out */
		return add_value(o, scalar(v), c->err);
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return perr(c, v, where, "expected a string, a number, true/false or a list of strings");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const char *s = scalar(yaml_document_get_node(c->doc, *it));
		if (!s)
			return perr(c, v, where, "expected a list of strings (one per repetition of the option)");
		if (add_value(o, s, c->err))
			return c->err->code;
	}
	return W2C_OK;
}

static w2c_code take_opts(struct pctx *c, w2c_pipeline_stage *st, yaml_node_t *map, size_t idx)
{
	char where[160];
	if (map->type == YAML_SCALAR_NODE && (!*scalar(map) || plain_scalar(map, "null")))
		return W2C_OK; /* "- check:" with no options */
	if (map->type != YAML_MAPPING_NODE) {
		snprintf(where, sizeof where, "stages[%zu].%s", idx, st->verb);
		return perr(c, map, where, "expected a mapping of option: value");
	}
	size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	st->opts = calloc(n ? n : 1, sizeof *st->opts);
	if (!st->opts)
		return w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
		const char *k = scalar(kn);
		snprintf(where, sizeof where, "stages[%zu].%s.%s", idx, st->verb, k ? k : "?");
		if (!k || !option_word(k))
			return perr(c, kn, where, "expected an option name of a-z, 0-9 and '-' (the long option without '--')");
		for (size_t j = 0; j < st->n_opts; j++)
			if (!strcmp(st->opts[j].key, k))
				return perr(c, kn, where, "given twice in this stage (use a list to repeat an option)");
		if (secret_key(k))
			return perr(c, kn, where, "secrets do not belong in a pipeline file; set them in the "
				    "environment or a mode-0600 file (see the stage's --help)");
		w2c_pipeline_opt *o = &st->opts[st->n_opts++];
		if (!(o->key = w2c_strdup(k)))
			return w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
		o->line = line_of(kn);
		if (take_value(c, o, vn, where))
			return c->err->code;
	}
	return W2C_OK;
}

static w2c_code take_stages(struct pctx *c, w2c_pipeline *p, yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return perr(c, seq, "stages", "expected a list of stages (- VERB: {options})");
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (!n)
		return perr(c, seq, "stages", "expected at least one stage");
	p->stages = calloc(n, sizeof *p->stages);
	if (!p->stages)
		return w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *sn = yaml_document_get_node(c->doc, seq->data.sequence.items.start[i]);
		char where[64];
		snprintf(where, sizeof where, "stages[%zu]", i);
		if (sn->type != YAML_MAPPING_NODE || sn->data.mapping.pairs.top - sn->data.mapping.pairs.start != 1)
			return perr(c, sn, where, "expected one VERB: {options} mapping");
		yaml_node_pair_t *pair = sn->data.mapping.pairs.start;
		const char *verb = scalar(yaml_document_get_node(c->doc, pair->key));
		if (!verb || !is_verb(verb))
			return perr(c, sn, where, "expected a verb: inspect, build, inject, verify, install, check, upload, register or onboard");
		w2c_pipeline_stage *st = &p->stages[p->n_stages++];
		st->line = line_of(sn);
		if (!(st->verb = w2c_strdup(verb)))
			return w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
		if (take_opts(c, st, yaml_document_get_node(c->doc, pair->value), i))
			return c->err->code;
	}
	return W2C_OK;
}

static w2c_code take_string(struct pctx *c, yaml_node_t *v, const char *key, char **dst)
{
	const char *s = scalar(v);
	if (!s || !*s)
		return perr(c, v, key, "expected a non-empty path");
	free(*dst);
	*dst = w2c_strdup(s);
	return *dst ? W2C_OK : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
}

static w2c_code take_root(struct pctx *c, w2c_pipeline *p, yaml_node_t *root)
{
	if (!root || root->type != YAML_MAPPING_NODE)
		return perr(c, root, "document", "expected a mapping with source, workdir and stages");
	for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top; q++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, q->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, q->value);
		const char *k = scalar(kn);
		w2c_code rc;
		if (k && ((!strcmp(k, "source") && p->source) || (!strcmp(k, "workdir") && p->workdir) ||
			  (!strcmp(k, "stages") && p->stages)))
			rc = perr(c, kn, k, "given twice (YAML keys are unique)");
		else if (k && !strcmp(k, "source"))
			rc = take_string(c, vn, "source", &p->source);
		else if (k && !strcmp(k, "workdir"))
			rc = take_string(c, vn, "workdir", &p->workdir);
		else if (k && !strcmp(k, "stages"))
			rc = take_stages(c, p, vn);
		else
			rc = perr(c, kn, k ? k : "key", "unknown key (expected source, workdir or stages)");
		if (rc)
			return rc;
	}
	if (!p->source)
		return perr(c, root, "source", "missing: the Windows ISO the pipeline starts from");
	if (!p->n_stages)
		return perr(c, root, "stages", "missing: the list of stages to run");
	if (!p->workdir && !(p->workdir = w2c_strdup("win2cloud-out")))
		return w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	return W2C_OK;
}

w2c_code w2c_pipeline_parse(const char *yaml, size_t len, const char *name, w2c_pipeline **out,
			    w2c_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct pctx c = { &doc, name ? name : "pipeline", err };
	w2c_pipeline *p = calloc(1, sizeof *p);
	w2c_code rc;

	*out = NULL;
	if (!p || !(p->name = w2c_strdup(c.name))) {
		free(p);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	if (!yaml_parser_initialize(&parser)) {
		w2c_pipeline_free(p);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:%zu: YAML: %s", c.name,
				   parser.problem_mark.line + 1, parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		w2c_pipeline_free(p);
		return rc;
	}
	rc = take_root(&c, p, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc) {
		w2c_pipeline_free(p);
		return rc;
	}
	*out = p;
	return W2C_OK;
}

w2c_code w2c_pipeline_load(const char *path, w2c_pipeline **out, w2c_error *err)
{
	char *data;
	size_t len;
	w2c_code rc = w2c_read_file(path, 1 << 20, &data, &len, err);
	if (rc)
		return rc;
	rc = w2c_pipeline_parse(data, len, path, out, err);
	free(data);
	return rc;
}

void w2c_pipeline_free(w2c_pipeline *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_stages; i++) {
		w2c_pipeline_stage *st = &p->stages[i];
		for (size_t j = 0; j < st->n_opts; j++) {
			for (size_t k = 0; k < st->opts[j].n_values; k++)
				free(st->opts[j].values[k]);
			free(st->opts[j].values);
			free(st->opts[j].key);
		}
		free(st->opts);
		free(st->verb);
	}
	free(p->stages);
	free(p->name);
	free(p->source);
	free(p->workdir);
	free(p);
}
