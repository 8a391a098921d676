# Sourced by tests/integration/test_install*.sh: the stand-in installer
# (tests/fixtures/mkinstaller.sh), built once per build tree under a lock, and
# injected with the sample VirtIO drivers and a generated answer file that
# ends by powering off, so that `win2cloud install`'s preflight passes.
# usage: w2c_installer_setup   -> as w2c_installer_fixture, and sets $FX (fixture dir), $T (temp dir, removed on exit),
#                                 $INJ (injected installer), $INJ_HANG (one that never powers off)
# w2c_installer_fixture -> sets $FX, the directory mkinstaller.sh filled (built once, locked)
w2c_installer_fixture() {
	: "${W2C:?}" "${W2C_SRC:?}" "${W2C_FIXTURES:?}"
	for t in qemu-system-x86_64 qemu-img flock; do
		command -v "$t" >/dev/null || { echo "SKIP: $t missing (scripts/setup.sh installs it)"; exit 77; }
	done
	FX=$W2C_FIXTURES/installer
	mkdir -p "$FX"
	(
		flock 9
		if [ ! -f "$FX/installer-uefi.iso" ] || [ ! -f "$FX/installer-reboot.iso" ]; then
			bash "$W2C_SRC/tests/fixtures/mkinstaller.sh" "$FX" || exit $?
		fi
	) 9>"$W2C_FIXTURES/.installer.lock"
	local rc=$?
	[ $rc = 77 ] && { echo "SKIP: the stand-in installer cannot be built here (see above)"; exit 77; }
	[ $rc = 0 ] || { echo "FAIL: tests/fixtures/mkinstaller.sh exit $rc"; exit 1; }
}

w2c_installer_setup() {
	w2c_installer_fixture
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	bash "$W2C_SRC/samples/make-sample-drivers.sh" "$T/drv" >/dev/null
	(umask 077; printf 'Ci!Install2026\n' > "$T/admin.pw")
	INJ=$T/inj.iso INJ_HANG=$T/inj-hang.iso
	w2c_installer_inject "$FX/installer.iso" "$INJ"
	w2c_installer_inject "$FX/installer-hang.iso" "$INJ_HANG"
}

# w2c_installer_inject SRC OUT [extra inject options]
w2c_installer_inject() {
	local src=$1 out=$2; shift 2
	"$W2C" -q inject "$src" -o "$out" --drivers "$T/drv" --edition 1 --unattend generate \
		--admin-password-file "$T/admin.pw" --disk 0 --shutdown --dhcp --rdp "$@" >"$T/inject.log" 2>&1 ||
		{ cat "$T/inject.log"; echo "FAIL: inject $src"; exit 1; }
}
