/* Fuzz the parsers of untrusted upload inputs: S3 XML responses (initiate, list parts,
 * complete, copy, error, bucket location) and the JSON resume checkpoint. */
#include "cloud/upload/checkpoint.h"
#include "win2cloud/s3.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *id = NULL, etag[81], code[64], msg[256], region[64], field[64];
	w2c_s3_part *parts = NULL;
	size_t n = 0;
	bool more;
	unsigned next;
	w2c_checkpoint cp;

	if (!w2c_s3_parse_initiate(s, size, &id, NULL))
		free(id);
	w2c_s3_parse_list_parts(s, size, &parts, &n, &more, &next, NULL);
	for (size_t i = 0; i < n; i++)
		if (!parts[i].number || parts[i].number > 10000 || strlen(parts[i].etag) > 80)
			abort();
	free(parts);
	if (!w2c_s3_parse_complete(s, size, etag, NULL) && strlen(etag) > 80)
		abort();
	if (!w2c_s3_parse_copy(s, size, etag, NULL) && strlen(etag) > 80)
		abort();
	w2c_s3_parse_error(s, size, code, msg);
	if (!w2c_s3_parse_location(s, size, region, NULL) && strlen(region) > 63)
		abort();
	w2c_s3_parse_error_field(s, size, "Region", field, sizeof field);
	if (!w2c_checkpoint_parse(s, size, &cp, NULL)) {
		char *dump = w2c_checkpoint_dump(&cp);
		free(dump);
		w2c_checkpoint_free(&cp);
	}
	return 0;
}
