/* OpenStack-style cloud configuration: OS_* variables and clouds.yaml (libyaml). */
#include "win2cloud/auth.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* Where a clouds.yaml/secure.yaml key lands in the config. */
struct field {
	const char *key;
	size_t off;
};
#define F(k, m) { k, offsetof(w2c_cloud_config, m) }

/* Keys of a cloud's "auth" mapping. */
static const struct field auth_fields[] = {
	F("auth_url", auth_url), F("username", username), F("user_id", user_id),
	F("password", password), F("user_domain_name", user_domain_name),
	F("user_domain_id", user_domain_id), F("project_name", project_name),
	F("tenant_name", project_name), F("project_id", project_id), F("tenant_id", project_id),
	F("project_domain_name", project_domain_name), F("project_domain_id", project_domain_id),
	F("ak", access_key), F("sk", secret_key),
};
/* Keys of the cloud mapping itself. */
static const struct field cloud_fields[] = {
	F("region_name", region_name), F("interface", interface), F("cacert", cacert),
	F("image_endpoint_override", image_endpoint),
};
/* OS_* variables, as openstackclient reads them. */
static const struct field env_fields[] = {
	F("OS_AUTH_URL", auth_url), F("OS_USERNAME", username), F("OS_USER_ID", user_id),
	F("OS_PASSWORD", password), F("OS_USER_DOMAIN_NAME", user_domain_name),
	F("OS_USER_DOMAIN_ID", user_domain_id), F("OS_PROJECT_NAME", project_name),
	F("OS_TENANT_NAME", project_name), F("OS_PROJECT_ID", project_id),
	F("OS_TENANT_ID", project_id), F("OS_PROJECT_DOMAIN_NAME", project_domain_name),
	F("OS_PROJECT_DOMAIN_ID", project_domain_id), F("OS_REGION_NAME", region_name),
	F("OS_INTERFACE", interface), F("OS_CACERT", cacert),
	F("OS_IMAGE_ENDPOINT_OVERRIDE", image_endpoint),
};
#undef F

static char **slot(w2c_cloud_config *c, size_t off)
{
	return (char **)((char *)c + off);
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void w2c_cloud_config_free(w2c_cloud_config *c)
{
	char **all[] = { &c->name, &c->auth_url, &c->username, &c->user_id, &c->password,
			 &c->user_domain_name, &c->user_domain_id, &c->project_name, &c->project_id,
			 &c->project_domain_name, &c->project_domain_id, &c->region_name, &c->interface,
			 &c->cacert, &c->access_key, &c->secret_key, &c->image_endpoint, &c->source };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		wipe_free(*all[i]);
	memset(c, 0, sizeof *c);
}

static w2c_code set_str(char **dst, const char *v, size_t n, bool overwrite, w2c_error *err)
{
	char *s;
	if (*dst && !overwrite)
		return W2C_OK;
	if (!(s = w2c_strndup(v, n)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory reading cloud configuration");
	wipe_free(*dst);
	*dst = s;
	return W2C_OK;
}

/* ---- YAML navigation ---- */

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(d, p->key));
		if (k && !strcmp(k, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* Copy the scalar values of @map's known keys; other keys are ignored as
 * openstackclient ignores options it does not use. */
static w2c_code take_fields(w2c_cloud_config *c, yaml_document_t *d, yaml_node_t *map,
			    const struct field *f, size_t nf, const char *path, const char *where,
			    w2c_error *err)
{
	if (!map)
		return W2C_OK;
	if (map->type != YAML_MAPPING_NODE)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:%zu: '%s' must be a mapping", path,
				     map->start_mark.line + 1, where);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(d, p->key));
		yaml_node_t *vn = yaml_document_get_node(d, p->value);
		for (size_t i = 0; k && i < nf; i++) {
			if (strcmp(k, f[i].key))
				continue;
			if (!scalar(vn))
				return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
						     "%s:%zu: '%s.%s' must be a string", path,
						     vn ? vn->start_mark.line + 1 : 0, where, k);
			w2c_code rc = set_str(slot(c, f[i].off), scalar(vn), vn->data.scalar.length, true, err);
			if (rc)
				return rc;
		}
	}
	return W2C_OK;
}

/* "domain_name"/"domain_id" in auth stand for both the user's and the project's domain. */
static w2c_code take_domain_shorthand(w2c_cloud_config *c, yaml_document_t *d, yaml_node_t *auth,
				      w2c_error *err)
{
	const char *dn = scalar(map_get(d, auth, "domain_name")), *di = scalar(map_get(d, auth, "domain_id"));
	w2c_code rc = W2C_OK;
	if (dn && !rc)
		rc = set_str(&c->user_domain_name, dn, strlen(dn), false, err);
	if (dn && !rc)
		rc = set_str(&c->project_domain_name, dn, strlen(dn), false, err);
	if (di && !rc)
		rc = set_str(&c->user_domain_id, di, strlen(di), false, err);
	if (di && !rc)
		rc = set_str(&c->project_domain_id, di, strlen(di), false, err);
	return rc;
}

w2c_code w2c_cloud_config_parse(w2c_cloud_config *cfg, const char *yaml, size_t len,
				const char *path, const char *cloud_name, w2c_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *clouds, *cloud;
	w2c_code rc = W2C_OK;

	if (!yaml_parser_initialize(&parser))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory reading %s", path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:%zu:%zu: YAML error: %s%s%s", path,
				   parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				   parser.problem ? parser.problem : "malformed",
				   parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	clouds = map_get(&doc, root, "clouds");
	if (!root || root->type != YAML_MAPPING_NODE || !clouds || clouds->type != YAML_MAPPING_NODE) {
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: expected a top-level 'clouds:' mapping",
				   path);
	} else if (!(cloud = map_get(&doc, clouds, cloud_name))) {
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: no cloud named '%s' under 'clouds:'", path,
				   cloud_name);
	} else {
		yaml_node_t *auth = map_get(&doc, cloud, "auth");
		rc = take_fields(cfg, &doc, cloud, cloud_fields, sizeof cloud_fields / sizeof cloud_fields[0],
				 path, cloud_name, err);
		if (!rc)
			rc = take_fields(cfg, &doc, auth, auth_fields,
					 sizeof auth_fields / sizeof auth_fields[0], path, "auth", err);
		if (!rc)
			rc = take_domain_shorthand(cfg, &doc, auth, err);
		if (!rc)
			rc = set_str(&cfg->name, cloud_name, strlen(cloud_name), true, err);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* First existing file of the standard search path (new string), or NULL. */
static char *find_config_file(const char *base)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *cands[4] = { 0 };
	char *found = NULL;

	cands[0] = w2c_asprintf("./%s", base);
	if (xdg && *xdg)
		cands[1] = w2c_asprintf("%s/openstack/%s", xdg, base);
	else if (home && *home)
		cands[1] = w2c_asprintf("%s/.config/openstack/%s", home, base);
	cands[2] = w2c_asprintf("/etc/openstack/%s", base);
	for (int i = 0; i < 3; i++) {
		if (!found && cands[i] && access(cands[i], R_OK) == 0)
			found = cands[i];
		else
			free(cands[i]);
	}
	return found;
}

static w2c_code parse_file(w2c_cloud_config *cfg, const char *path, const char *cloud, w2c_error *err)
{
	char *data = NULL;
	size_t len = 0;
	w2c_code rc = w2c_read_file(path, 4 << 20, &data, &len, err);
	if (rc)
		return rc;
	rc = w2c_cloud_config_parse(cfg, data, len, path, cloud, err);
	explicit_bzero(data, len);
	free(data);
	return rc;
}

static w2c_code load_yaml(w2c_cloud_config *cfg, const char *cloud, w2c_error *err)
{
	const char *env = getenv("OS_CLIENT_CONFIG_FILE"), *senv = getenv("OS_CLIENT_SECURE_FILE");
	char *path = env && *env ? w2c_strdup(env) : find_config_file("clouds.yaml");
	char *secure = senv && *senv ? w2c_strdup(senv) : find_config_file("secure.yaml");
	w2c_code rc;

	if (!path) {
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND,
				   "cloud '%s': no clouds.yaml found (looked at $OS_CLIENT_CONFIG_FILE, "
				   "./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)",
				   cloud);
	} else {
		rc = parse_file(cfg, path, cloud, err);
		if (!rc && secure) {
			w2c_error serr;
			w2c_code s = parse_file(cfg, secure, cloud, &serr);
			/* a secure.yaml without this cloud is normal; a broken one is not */
			if (s && s != W2C_ERR_NOT_FOUND)
				rc = w2c_set_error(err, s, "%s", serr.message);
		}
		if (!rc)
			rc = set_str(&cfg->source, path, strlen(path), true, err);
	}
	free(path);
	free(secure);
	return rc;
}

static w2c_code load_env(w2c_cloud_config *cfg, bool fill_only, w2c_error *err)
{
	for (size_t i = 0; i < sizeof env_fields / sizeof env_fields[0]; i++) {
		const char *v = getenv(env_fields[i].key);
		if (!v || !*v)
			continue;
		w2c_code rc = set_str(slot(cfg, env_fields[i].off), v, strlen(v), !fill_only, err);
		if (rc)
			return rc;
	}
	const char *dn = getenv("OS_DOMAIN_NAME");
	if (dn && *dn) {
		w2c_code rc = set_str(&cfg->user_domain_name, dn, strlen(dn), false, err);
		if (!rc)
			rc = set_str(&cfg->project_domain_name, dn, strlen(dn), false, err);
		if (rc)
			return rc;
	}
	return W2C_OK;
}

w2c_code w2c_cloud_config_load(w2c_cloud_config *cfg, const char *cloud_name, w2c_error *err)
{
	const char *cloud = cloud_name && *cloud_name ? cloud_name : getenv("OS_CLOUD");
	w2c_code rc;

	memset(cfg, 0, sizeof *cfg);
	if (cloud && *cloud) {
		rc = load_yaml(cfg, cloud, err);
		/* like openstackclient: a password can come from the environment */
		if (!rc && !cfg->password && getenv("OS_PASSWORD") && *getenv("OS_PASSWORD"))
			rc = set_str(&cfg->password, getenv("OS_PASSWORD"), strlen(getenv("OS_PASSWORD")),
				     false, err);
	} else {
		rc = load_env(cfg, false, err);
		if (!rc)
			rc = set_str(&cfg->source, "environment (OS_*)", 18, true, err);
	}
	if (!rc && !cfg->interface)
		rc = set_str(&cfg->interface, "public", 6, true, err);
	if (!rc && !cfg->auth_url && !cfg->image_endpoint)
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND,
				   "no cloud configured: %s has no auth_url (set OS_AUTH_URL or use "
				   "--os-cloud NAME with a clouds.yaml)", cfg->source ? cfg->source : "environment");
	if (rc)
		w2c_cloud_config_free(cfg);
	return rc;
}
