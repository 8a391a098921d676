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
