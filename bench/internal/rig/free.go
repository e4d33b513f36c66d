package rig

import "runtime/debug"

func debugFreeOSMemory() { debug.FreeOSMemory() }
