# Sourced by vm/fetch-stock.sh and vm/build-test-hmm-module.sh: Debian's
# own, unmodified amd64 kernels the stock-kernel groups boot, one line each
# (tests/vm-stock.sh). Pinned: a package name carries its ABI, so a suite's
# next point release is a new line here, not a silent change of kernel.
#
#   stock_kernel VERSION   sets suite, rel (uname -r), ver (package version),
#                          image (vmlinuz deb), modules (its modules' deb),
#                          srcpkg (linux-source-X, same version) and
#                          patches (applied to the module's test_hmm.c)
#
# Each has ZONE_DEVICE and HMM_MIRROR but not TEST_HMM. 6.1 and 6.12 also
# lack DEVICE_PRIVATE: test_hmm gets its coherent devices only
# (vm/patches/test_hmm-without-device-private.patch). 7.3 has it; its
# test_hmm gets the leak injector of kpatches/0008.
stock_kernel() {
	local top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	case $1 in
	7.3)
		suite=trixie-backports rel=7.3.4+deb13-amd64 ver=7.3.4-1~bpo13+1
		image=linux-binary-$rel modules=linux-modules-$rel srcpkg=linux-source-7.3
		patches=("$top"/kpatches/0008-lib-test_hmm-add-a-leak-injector-*.patch);;
	6.12)	# trixie's own kernel
		suite=trixie rel=6.12.117+deb13-amd64 ver=6.12.117-1
		image=linux-image-$rel modules=$image srcpkg=linux-source-6.12
		patches=("$top/vm/patches/test_hmm-without-device-private.patch");;
	6.1)	# bookworm's own kernel (main; not the security suite's newer one)
		suite=bookworm rel=6.1.0-50-amd64 ver=6.1.176-1
		image=linux-image-$rel modules=$image srcpkg=linux-source-6.1
		patches=("$top/vm/patches/test_hmm-without-device-private.patch");;
	*)
		echo "stock kernel '$1': not one of 7.3, 6.12, 6.1" >&2
		return 2;;
	esac
	[ -f "${patches[0]}" ] || { echo "stock kernel $1: no ${patches[0]}" >&2; return 1; }
}
