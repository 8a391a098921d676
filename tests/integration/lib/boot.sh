# Sourced by integration tests: boot an ISO under QEMU (TCG) with SeaBIOS or
# OVMF and the fixture's debug console; returns QEMU's exit status (the
# fixture's boot programs exit through isa-debug-exit: 33 BIOS, 35 UEFI).
# usage: w2c_boot ISO bios|uefi LOG
w2c_boot() {
	local fw=() rc
	[ "$2" = uefi ] && fw=(-bios /usr/share/ovmf/OVMF.fd)
	set +e
	timeout 180 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 256 -net none "${fw[@]}" -cdrom "$1" \
		-debugcon file:"$3" -global isa-debugcon.iobase=0xe9 -device isa-debug-exit,iobase=0xf4,iosize=4 \
		>/dev/null 2>&1
	rc=$?
	set -e
	return $rc
}

# The start of a boot test: the fixture ISO, QEMU, OVMF and the named tools, or
# exit 77 saying what is missing; sets $iso and a $work directory removed on exit.
# usage: w2c_boot_test_setup TOOL...
w2c_boot_test_setup() {
	iso=$W2C_FIXTURES/win/win.iso
	[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
	for t in qemu-system-x86_64 "$@"; do command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
	[ -f /usr/share/ovmf/OVMF.fd ] || { echo "SKIP: OVMF missing (package ovmf)"; exit 77; }
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
}
