//go:build tools

// Package tools pins Toxiproxy's server (and its CLI) for the fault-injection suite: this module
// exists only so that `go build github.com/Shopify/toxiproxy/v2/cmd/server` resolves a pinned
// version with checksums in go.sum (hack/chaos/build-toxiproxy.sh builds it).
package tools

import (
	_ "github.com/Shopify/toxiproxy/v2/cmd/server"
)
