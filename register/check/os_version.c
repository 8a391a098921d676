/* IMS constraints: os_version lists (spec §3.7), min_disk range, image_url form. */
#include "win2cloud/register.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

/* API reference, common_parameters/values_of_related_parameters.rst (Windows entries). */
static const char *const api_ref[] = {
	"Windows 10 64bit",
	"Windows 7 Enterprise 64bit",
	"Windows 7 Professional 64bit",
	"Windows 7 Professional 32bit",
	"Windows Server 2016 Standard 64bit",
	"Windows Server 2016 Datacenter 64bit",
	"Windows Server 2012 R2 Standard 64bit",
	"Windows Server 2012 Essentials R2 64bit",
	"Windows Server 2012 R2 Datacenter 64bit",
	"Windows Server 2012 Datacenter 64bit",
	"Windows Server 2012 Standard 64bit",
	"Windows Server 2008 R2 WEB 64bit",
	"Windows Server 2008 R2 Standard 64bit",
	"Windows Server 2008 R2 Enterprise 64bit",
	"Windows Server 2008 R2 Datacenter 64bit",
	NULL,
};

/* User guide, external_image_file_formats_and_supported_oss.rst: the additions and the two
 * entries it spells differently.  Which one the API accepts is unconfirmed: ship both. */
static const char *const user_guide[] = {
	"Windows Server 2022 Standard 64bit",
	"Windows Server 2022 Datacenter 64bit",
	"Windows Server 2019 Standard 64bit",
	"Windows Server 2019 Datacenter 64bit",
	"Windows Server 2012 R2 Essentials 64bit",
	"Windows Server 2008 WEB R2 64bit",
	NULL,
};

const char *const *w2c_os_versions_api_ref(void)
{
	return api_ref;
}

const char *const *w2c_os_versions_user_guide(void)
{
	return user_guide;
}

void w2c_os_version_list_free(w2c_os_version_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	free(l->source);
	memset(l, 0, sizeof *l);
}

static w2c_code add(w2c_os_version_list *l, const char *s, size_t n, w2c_error *err)
{
	char **p = realloc(l->items, (l->count + 1) * sizeof *p);
	if (!p || !(p[l->count] = w2c_strndup(s, n))) {
		if (p)
			l->items = p;
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	l->items = p;
	l->count++;
	return W2C_OK;
}

static w2c_code load_file(w2c_os_version_list *l, const char *path, w2c_error *err)
{
	char *data, *line, *save = NULL;
	size_t len;
	w2c_code rc = w2c_read_file(path, 1 << 20, &data, &len, err);

	if (rc)
		return rc;
	for (line = strtok_r(data, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			n--;
		if (!n || line[0] == '#')
			continue;
		rc = add(l, line, n, err);
	}
	free(data);
	if (!rc && !l->count)
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: no os_version strings (one per line)", path);
	return rc;
}

w2c_code w2c_os_version_list_load(w2c_os_version_list *l, const char *path, w2c_error *err)
{
	const char *env = getenv("W2C_OS_VERSIONS_FILE");
	w2c_code rc = W2C_OK;

	memset(l, 0, sizeof *l);
	if (!path && env && *env)
		path = env;
	if (path) {
		rc = load_file(l, path, err);
		l->source = w2c_strdup(path);
	} else {
		for (size_t i = 0; !rc && api_ref[i]; i++)
			rc = add(l, api_ref[i], strlen(api_ref[i]), err);
		for (size_t i = 0; !rc && user_guide[i]; i++)
			rc = add(l, user_guide[i], strlen(user_guide[i]), err);
		l->source = w2c_strdup("built-in list (OTC API reference + user guide)");
	}
	if (rc)
		w2c_os_version_list_free(l);
	return rc;
}

/* Edit distance, ASCII case-insensitive, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), *row = calloc(m + 1, sizeof *row), best;
	if (!row)
		return (size_t)-1;
	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j];
			char x = a[i - 1], y = b[j - 1];
			x = (x >= 'A' && x <= 'Z') ? x + 32 : x;
			y = (y >= 'A' && y <= 'Z') ? y + 32 : y;
			size_t v = diag + (x != y);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
		}
	}
	best = row[m];
	free(row);
	return best;
}

w2c_code w2c_os_version_check(const w2c_os_version_list *l, const char *v, w2c_error *err)
{
	const char *best = NULL;
	size_t bd = (size_t)-1;

	for (size_t i = 0; i < l->count; i++) {
		if (!strcmp(l->items[i], v))
			return W2C_OK;
		size_t d = distance(v, l->items[i]);
		if (d < bd) {
			bd = d;
			best = l->items[i];
		}
	}
	return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
			     "--os-version '%s' is not in the allowed list (%s)%s%s%s; the string is sent "
			     "byte-exact, override the list with W2C_OS_VERSIONS_FILE", v,
			     l->source ? l->source : "empty", best ? "; did you mean '" : "",
			     best ? best : "", best ? "'" : "");
}

w2c_code w2c_min_disk_check(long gb, w2c_error *err)
{
	if (gb < W2C_MIN_DISK_MIN || gb > W2C_MIN_DISK_MAX)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "--min-disk %ld: expected %d-%d GB (the system disk the image needs)", gb,
				     W2C_MIN_DISK_MIN, W2C_MIN_DISK_MAX);
	return W2C_OK;
}

static bool bucket_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.';
}

w2c_code w2c_ims_image_url(const char *source, char **image_url, w2c_error *err)
{
	const char *bucket = source, *sep, *key;

	*image_url = NULL;
	if (!strncmp(source, "obs://", 6)) {
		bucket = source + 6;
		sep = strchr(bucket, '/');
	} else {
		sep = strchr(bucket, ':');
	}
	if (!sep)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "source '%s': expected BUCKET:KEY or obs://BUCKET/KEY", source);
	key = sep + 1;
	if (!bucket_ok(bucket, (size_t)(sep - bucket)))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "source '%s': bucket '%.*s' is not a valid bucket name (3-63 of a-z 0-9 - .)",
				     source, (int)(sep - bucket), bucket);
	if (!*key || *key == '/')
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "source '%s': the object key is empty", source);
	*image_url = w2c_asprintf("%.*s:%s", (int)(sep - bucket), bucket, key);
	return *image_url ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
}
