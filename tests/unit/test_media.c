/* Unit tests: the file tree edits, and WIM XML parsing checked against wimlib. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "inject/media/media_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>

static void test_tree_edits(void **state)
{
	w2c_node *root = w2c_node_new("", true);
	w2c_error err;
	uint64_t files = 0, dirs = 0, bytes = 0;
	(void)state;

	assert_int_equal(w2c_tree_put_memory(root, "/Sources/install.wim", "abc", 3, &err), W2C_OK);
	assert_int_equal(w2c_tree_put_memory(root, "/$WinPEDriver$/viostor/viostor.inf", "x", 1, &err), W2C_OK);
	/* lookups are case-insensitive, as on Windows */
	w2c_node *n = w2c_tree_lookup(root, "/sources/INSTALL.WIM");
	assert_non_null(n);
	assert_int_equal(n->size, 3);
	char *p = w2c_node_path(n);
	assert_string_equal(p, "/Sources/install.wim");
	free(p);
	/* replacing keeps one node */
	assert_int_equal(w2c_tree_put_memory(root, "/sources/install.wim", "defg", 4, &err), W2C_OK);
	w2c_tree_count(root, &files, &dirs, &bytes);
	assert_int_equal(files, 2);
	assert_int_equal(dirs, 3);
	assert_int_equal(bytes, 5);
	/* a file in the way of a directory is an error naming the path */
	assert_null(w2c_tree_mkdirs(root, "/sources/install.wim/x", &err));
	assert_non_null(strstr(err.message, "install.wim"));
	assert_int_equal(w2c_tree_remove(root, "/$winpedriver$", &err), W2C_OK);
	assert_null(w2c_tree_lookup(root, "/$WinPEDriver$/viostor"));
	assert_int_equal(w2c_tree_remove(root, "/nope", &err), W2C_ERR_NOT_FOUND);
	w2c_node_free(root);
}

static void set_prop(WIMStruct *w, int img, const char *k, const char *v)
{
	assert_int_equal(wimlib_set_image_property(w, img, k, v), 0);
}

/* Build a two-image WIM with wimlib, then compare our reading with wimlib's. */
static void test_wim_xml_matches_wimlib(void **state)
{
	char dir[] = "/tmp/w2c-wim-XXXXXX", src[300], wimpath[300];
	WIMStruct *w;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/tree", dir);
	snprintf(wimpath, sizeof wimpath, "%s/install.wim", dir);
	mkdir(src, 0755);
	FILE *f = fopen(strcat(strcpy((char[400]){0}, src), "/file.txt"), "w");
	fputs("hello", f);
	fclose(f);
	assert_int_equal(wimlib_create_new_wim(WIMLIB_COMPRESSION_TYPE_LZX, &w), 0);
	assert_int_equal(wimlib_add_image(w, src, "Windows Server 2022 SERVERDATACENTER", NULL, 0), 0);
	assert_int_equal(wimlib_add_image(w, src, "Windows 11 Pro", NULL, 0), 0);
	set_prop(w, 1, "WINDOWS/ARCH", "9");
	set_prop(w, 1, "WINDOWS/VERSION/BUILD", "20348");
	set_prop(w, 1, "WINDOWS/VERSION/MAJOR", "10");
	set_prop(w, 1, "WINDOWS/INSTALLATIONTYPE", "Server");
	set_prop(w, 1, "WINDOWS/EDITIONID", "ServerDatacenter");
	set_prop(w, 1, "WINDOWS/LANGUAGES/LANGUAGE", "en-US");
	set_prop(w, 2, "WINDOWS/ARCH", "12");
	set_prop(w, 2, "WINDOWS/VERSION/BUILD", "26100");
	set_prop(w, 2, "WINDOWS/PRODUCTTYPE", "WinNT");
	set_prop(w, 2, "DISPLAYNAME", "Windows 11 Pro — ARM");
	assert_int_equal(wimlib_set_wim_info(w, &(struct wimlib_wim_info){ .boot_index = 2 },
					     WIMLIB_CHANGE_BOOT_INDEX), 0);
	assert_int_equal(wimlib_write(w, wimpath, WIMLIB_ALL_IMAGES, 0, 0), 0);
	wimlib_free(w);
	assert_int_equal(wimlib_open_wim(wimpath, 0, &w), 0); /* read back as written */

	void *xml;
	size_t xml_len;
	assert_int_equal(wimlib_get_xml_data(w, &xml, &xml_len), 0);
	w2c_wim_info info = { 0 };
	w2c_error err;
	assert_int_equal(w2c_wimxml_parse(xml, xml_len, "/sources/install.wim", &info, &err), W2C_OK);
	assert_int_equal(info.image_count, 2);
	for (unsigned i = 0; i < 2; i++) {
		const w2c_edition *e = &info.images[i];
		assert_int_equal(e->index, i + 1);
		assert_string_equal(e->name, wimlib_get_image_name(w, (int)i + 1));
		assert_int_equal(e->build, atoi(wimlib_get_image_property(w, (int)i + 1, "WINDOWS/VERSION/BUILD")));
		assert_int_equal(e->arch_id, atoi(wimlib_get_image_property(w, (int)i + 1, "WINDOWS/ARCH")));
	}
	assert_string_equal(info.images[0].arch, "amd64");
	assert_string_equal(info.images[0].edition_id, "ServerDatacenter");
	assert_int_equal(info.images[0].n_languages, 1);
	assert_string_equal(info.images[1].arch, "arm64");
	assert_string_equal(info.images[1].display_name, "Windows 11 Pro — ARM");

	/* The same XML through our header reader, from the written file. */
	w2c_media m = { .path = wimpath, .fd = -1 };
	w2c_node *root = w2c_node_new("", true);
	assert_int_equal(w2c_tree_put_local(root, "/sources/install.wim", wimpath, &err), W2C_OK);
	m.root = root;
	assert_int_equal(w2c_wims_read(&m, &err), W2C_OK);
	assert_int_equal(m.n_wims, 1);
	assert_int_equal(m.wims[0].boot_index, 2);
	assert_int_equal(m.n_editions, 2);
	assert_int_equal(m.editions[1]->build, 26100);
	w2c_wims_free(&m);

	/* A corrupted magic is named precisely. */
	FILE *wf = fopen(wimpath, "r+");
	fputc('X', wf);
	fclose(wf);
	assert_int_equal(w2c_tree_put_local(root, "/sources/install.wim", wimpath, &err), W2C_OK);
	assert_int_equal(w2c_wims_read(&m, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "MSWIM"));
	w2c_wims_free(&m);
	w2c_node_free(root);

	for (unsigned i = 0; i < 2; i++) {
		const w2c_edition *e = &info.images[i];
		free(e->file); free(e->name); free(e->description); free(e->display_name); free(e->flags);
		free(e->edition_id); free(e->installation_type); free(e->product_type); free(e->product_name);
		for (size_t k = 0; k < e->n_languages; k++) free(e->languages[k]);
		free(e->languages); free(e->default_language);
	}
	free(info.images);
	free(xml);
	wimlib_free(w);
	unlink(wimpath);
	unlink(strcat(strcpy((char[400]){0}, src), "/file.txt"));
	rmdir(src);
	rmdir(dir);
}

static void test_wim_xml_rejects_garbage(void **state)
{
	w2c_wim_info info = { 0 };
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_wimxml_parse((const uint8_t *)"<NOTWIM/>", 9, "x.wim", &info, &err),
			 W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "expected <WIM>"));
	assert_int_equal(w2c_wimxml_parse((const uint8_t *)"<WIM><IMAGE", 11, "x.wim", &info, &err),
			 W2C_ERR_INVALID_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_edits),
		cmocka_unit_test(test_wim_xml_matches_wimlib),
		cmocka_unit_test(test_wim_xml_rejects_garbage),
	};
	wimlib_global_init(0);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	wimlib_global_cleanup();
	return rc;
}
