/* Fuzz the answer-file XML paths: lint (every rule, with a media target)
 * and merge (every option that edits the tree). */
#include "win2cloud/unattend.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const w2c_edition ed = { .index = 1, .name = "Windows Server 2022 SERVERSTANDARD",
					.arch = "amd64", .arch_id = 9 };
	static const w2c_edition *const eds[] = { &ed };
	w2c_node *root = w2c_node_new("", true);
	w2c_unattend_target t = { root, eds, 1 };
	w2c_lint_options lo = { .target = &t, .firmware_set = true, .cloud_set = true };
	w2c_unattend_options o;
	w2c_lint_report r;
	char *out = NULL;
	size_t len = 0;

	w2c_tree_mkdirs(root, "/$WinPEDriver$/viostor", NULL);
	if (w2c_unattend_lint((const char *)data, size, &lo, &r, NULL) == W2C_OK)
		w2c_lint_report_free(&r);
	lo.install = true; /* the install.* rules walk every command and WillShowUI */
	if (w2c_unattend_lint((const char *)data, size, &lo, &r, NULL) == W2C_OK)
		w2c_lint_report_free(&r);
	lo.install = false;
	w2c_unattend_options_init(&o);
	o.admin_password = "Kx7!mQ2-vLp9";
	o.rdp = o.driver_paths = o.merge_disk = true;
	o.image_index = "2";
	o.product_key = "WX4NM-KYWYW-QJJR4-XV3QB-6VM33";
	o.timezone = "UTC";
	o.locale = "en-US";
	o.computer_name = "W2C";
	if (w2c_unattend_merge((const char *)data, size, "fuzz", &o, &out, &len, NULL) == W2C_OK) {
		/* what merge writes must lint without crashing too */
		if (w2c_unattend_lint(out, len, &lo, &r, NULL) == W2C_OK)
			w2c_lint_report_free(&r);
		free(out);
	}
	w2c_node_free(root);
	return 0;
}
